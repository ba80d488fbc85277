// Worker bootstrap: worker threads do not inherit the parent's module hooks, so register tsx here
// and then load the TypeScript worker.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
