// Entry point of a parse thread. datacreek runs its TypeScript through tsx without a build step, and a worker
// thread does not inherit the loader of the thread that started it, so the thread registers tsx itself first.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
