/** Injection token of the application's Kysely<Database> instance. */
export const DB = Symbol('DB');
