/** Password hashing port and its argon2id implementation (memory-hard; OWASP's minimum parameters). */
import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id (a const enum the package exports only as a type).
const ARGON2ID = 2;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
}

export const argon2id: PasswordHasher = {
  hash: (password) => hash(password, { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 }),
  verify: async (hashed, password) => {
    try {
      return await verify(hashed, password);
    } catch {
      return false;
    }
  },
};
