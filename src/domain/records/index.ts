// Dataset records: the record types every stage shares, their content schemas and their text.
export * from './types';
