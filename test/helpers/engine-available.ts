/** Whether the pooled face engine (src/engine/index.ts) is part of this build. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';

export const ENGINE_AVAILABLE = existsSync(join(PROJECT_ROOT, 'src', 'engine', 'index.ts'));
