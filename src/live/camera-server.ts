/**
 * A stand-in IP camera for tests, benchmarks and trials: a real video clip encoded on the fly into an
 * MPEG-TS stream by ffmpeg at real pace (`-re`), looped, and served over HTTP to every client that
 * connects (each joins at the live edge, as with a real camera). It can be taken down and brought
 * back (`down()` / `up()`) to try reconnection; any path other than the camera's own is a 404.
 *
 * Not a surveillance component: OpenLFR only reads from it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolveFfmpeg } from './1-ingest.ts';

export interface CameraServer {
  /** The camera's stream URL. */
  url: string;
  /** A URL on the same server that answers 404. */
  missingUrl: string;
  /** Drop every connection and refuse new ones (the camera goes dark). */
  down(): void;
  /** Serve again. */
  up(): void;
  close(): Promise<void>;
}

export interface CameraServerOptions {
  /** Loop the clip for ever (default true). */
  loop?: boolean;
  /** Re-encode to this width (keeps aspect); default: copy the clip's own video. */
  width?: number;
  /** Require HTTP basic authentication, as most IP cameras do (the URL then carries `user:password@`). */
  auth?: { user: string; password: string };
}

export async function startCameraServer(clip: string, o: CameraServerOptions = {}): Promise<CameraServer> {
  const clients = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let serving = true;
  let closed = false;
  let encoder: ChildProcess | null = null;

  const startEncoder = () => {
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re'];
    if (o.loop !== false) args.push('-stream_loop', '-1');
    args.push('-i', clip, '-an');
    if (o.width) args.push('-vf', `scale=${o.width}:-2`, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30');
    else args.push('-c:v', 'copy');
    args.push('-f', 'mpegts', 'pipe:1');
    const p = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'pipe', 'ignore'] });
    p.stdout!.on('data', (chunk: Buffer) => {
      for (const c of clients) c.write(chunk);
    });
    p.on('close', () => {
      for (const c of clients) c.end();
      clients.clear();
      if (!closed && o.loop !== false) startEncoder();
    });
    encoder = p;
  };
  startEncoder();

  const server = createServer((req, res) => {
    if (req.url !== '/camera.ts') {
      res.writeHead(404).end('no such camera');
      return;
    }
    const expected = o.auth ? `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64')}` : null;
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="camera"' }).end();
      return;
    }
    if (!serving) {
      res.socket?.destroy(); // dark: the connection is dropped, as a camera that lost power
      return;
    }
    res.writeHead(200, { 'content-type': 'video/mp2t', 'cache-control': 'no-store' });
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: o.auth ? `http://${o.auth.user}:${o.auth.password}@127.0.0.1:${port}/camera.ts` : `http://127.0.0.1:${port}/camera.ts`,
    missingUrl: `http://127.0.0.1:${port}/no-camera.ts`,
    down() {
      serving = false;
      for (const c of clients) c.destroy();
      clients.clear();
    },
    up() {
      serving = true;
    },
    async close() {
      closed = true;
      encoder?.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
