// Worker threads that parse documents and imports off the event loop.
export * from './jobs';
export * from './pool';
