// Small pure helpers every tier shares: deep merge of plain objects, hashing, a seeded random generator.
export * from './deep-merge';
export * from './export-format-names';
export * from './hashing';
export * from './seeded-random';
