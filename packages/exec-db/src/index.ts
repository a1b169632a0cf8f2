export { ExecDb, SCHEMA_VERSION } from './exec-db.js'
export { CorruptRecordError, DatabaseInUseError, ExecDbError, UnsupportedSchemaError } from './errors.js'
