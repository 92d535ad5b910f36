export const hello = (): string => 'oauth';
