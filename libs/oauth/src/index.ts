export * from './public-api.js';
