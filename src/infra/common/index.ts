// Small pure helpers every tier shares: deep merge of plain objects, hashing, a seeded random generator.
export * from './deep-merge';
export * from './hashing';
export * from './seeded-random';
