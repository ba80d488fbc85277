import { openPglite } from '../../src/store/pglite-db.ts';
import { storageContract } from './storage.contract.ts';

storageContract('pglite (in memory)', () => openPglite(undefined));
