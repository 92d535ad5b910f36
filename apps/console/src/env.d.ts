// Vite bundles CSS imports into the build's stylesheet.
declare module '*.css';
