// Small helpers every tier shares: deep merge of plain objects, hashing, a seeded random generator, linked aborts.
export * from './deep-merge';
export * from './export-format-names';
export * from './hashing';
export * from './seeded-random';
export * from './linked-abort';
