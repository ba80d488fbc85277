import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { DEMO_PASSWORD, DEMO_USERS, runDemo, setUpDemo } from '../../demo/live-demo.ts';
import { startServerOn } from '../../api/server.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole system in one command: demo users, an authorised deployment, a watchlist, a video through the live pipeline')
    .option('--source <video>', 'video file, stream URL or folder of stills (default: the Hamilton clip)')
    .option('--watchlist <dir>', 'one folder per subject with reference photos, or a folder of photos (default: the two Hamilton reference photos)')
    .option('--distractors <dir>', 'identity folders to add to the watchlist as distractors (for example lfw-devtrain)')
    .option('--distractor-count <n>', 'how many distractor identities to enrol', (v) => parseInt(v, 10))
    .option('--threshold <t>', 'match threshold (default: the floor for the engine in use)', (v) => parseFloat(v))
    .option('--fps <n>', 'analysed frames per second', (v) => parseFloat(v), 10)
    .option('--json', 'run to the end of the video and print one JSON summary (no server)')
    .action(async (o: { source?: string; watchlist?: string; distractors?: string; distractorCount?: number; threshold?: number; fps: number; json?: boolean }) => {
      const base = loadConfig();
      // The demo keeps its own store and throwaway key under $OPENLFR_HOME/demo, rebuilt every run.
      // With distractors, the enrolment gate accepts 30 px between the eyes (LFW photos are 250x250).
      const config = loadConfig({
        home: join(base.home, 'demo'),
        demo: true,
        ...(o.distractors ? { governance: { ...base.governance, minInterEyePx: Math.min(base.governance.minInterEyePx, 30) } } : {}),
      });
      const opts = {
        source: o.source ?? join(config.datasets, 'hamilton', 'short_hamilton_clip.mp4'),
        watchlist: o.watchlist ?? ['lin-manuel-miranda.png', 'alex-lacamoire.png'].map((f) => join(config.datasets, 'hamilton', f)),
        distractors: o.distractors,
        distractorCount: o.distractorCount,
        threshold: o.threshold,
        analysedFps: o.fps,
        onProgress: (m: string) => process.stderr.write(`openlfr demo: ${m}\n`),
      };
      if (o.json) {
        console.log(JSON.stringify(await runDemo(config, opts), null, 2));
        return;
      }
      const { services, deploymentId } = await setUpDemo(config, opts);
      // the server starts the cameras of live deployments itself; the clip plays at its own speed
      const server = await startServerOn(services, config, { analysedFps: o.fps, pace: 'realtime' });
      console.log(`OpenLFR demo running at ${server.url}  (deployment ${deploymentId} is live on ${opts.source})`);
      console.log(`Log in as ${DEMO_USERS.map((u) => u.username).join(', ')} with password "${DEMO_PASSWORD}". Ctrl-C stops.`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
