export { ExecDb, SCHEMA_VERSION } from './exec-db.js'
export { CorruptRecordError, ExecDbError, UnsupportedSchemaError } from './errors.js'
