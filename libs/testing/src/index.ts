export * from './stack';
export * from './wait-for';
