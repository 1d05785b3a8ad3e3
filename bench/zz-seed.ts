import { Store } from '../core/store/store.js';
import { seed } from './feed.js';
const dir = process.argv[2]!;
const store = await Store.open(undefined, dir);
await seed(store, 100000, 10000);
await store.close();
