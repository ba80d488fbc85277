import { PGlite } from '@electric-sql/pglite';
const dir = process.argv[2];
const db = await PGlite.create({ dataDir: dir });
await db.exec('create table if not exists t (id int primary key, payload text not null, sum int not null)');
let i = Number((await db.query('select coalesce(max(id),0) m from t')).rows[0].m);
for (;;) {
  i++;
  await db.transaction(async (tx) => {
    await tx.query('insert into t values ($1,$2,$3)', [i, 'x'.repeat(2000), i * 2]);
  });
  process.stdout.write(`${i}\n`);
}
