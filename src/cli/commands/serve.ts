import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { startServer } from '../../api/server.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP API (OpenAPI at /openapi.json) with the retention sweep on a timer')
    .option('--host <host>')
    .option('--port <port>')
    .action(async (o: { host?: string; port?: string }) => {
      const config = loadConfig({ server: { ...(o.host ? { host: o.host } : {}), ...(o.port ? { port: o.port } : {}) } });
      const server = await startServer(config);
      console.log(JSON.stringify({ listening: server.url, store: config.databaseUrl ? 'postgres' : `${config.home}/db` }));
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
