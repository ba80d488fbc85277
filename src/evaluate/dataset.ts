/**
 * Evaluation datasets: identity trees on disk, the labels CSV, the LFW pairs file, and the search protocols
 * built from them. Parsing and protocol building are pure; only `scanIdentityTree` touches the file system.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { OpenLfrError } from '../errors.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tif', '.tiff', '.avif'];

/** One image of a dataset. `key` is unique across the run (tree prefix + relative path). */
export interface DatasetImage {
  readonly key: string;
  readonly identity: string;
  /** Path relative to its tree root, with forward slashes (as in labels.csv). */
  readonly rel: string;
  readonly abs: string;
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Entries of a folder that are (or link to) directories / files, sorted by name. */
async function entriesOf(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const st = await stat(join(dir, e.name)).catch(() => null);
      isDir = st?.isDirectory() ?? false;
      isFile = st?.isFile() ?? false;
    }
    if (isDir) dirs.push(e.name);
    else if (isFile) files.push(e.name);
  }
  return { dirs: dirs.sort(byteOrder), files: files.sort(byteOrder) };
}

/** Lists `<root>/<identity>/<image>` files (one level of identity folders, symbolic links followed), sorted by identity then file name. */
export async function scanIdentityTree(root: string, keyPrefix = ''): Promise<DatasetImage[]> {
  let identities: string[];
  try {
    identities = (await entriesOf(root)).dirs;
  } catch (e) {
    throw new OpenLfrError('BAD_REQUEST', `Cannot read the dataset folder ${root}: ${(e as Error).message}`, { root });
  }
  const out: DatasetImage[] = [];
  for (const identity of identities) {
    const { files } = await entriesOf(join(root, identity));
    for (const f of files.filter((n) => IMAGE_EXTENSIONS.some((x) => n.toLowerCase().endsWith(x))))
      out.push({ key: `${keyPrefix}${identity}/${f}`, identity, rel: `${identity}/${f}`, abs: join(root, identity, f) });
  }
  if (out.length === 0) throw new OpenLfrError('BAD_REQUEST', `No images found in ${root}: expected one folder per identity holding image files`, { root });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Labels

export interface Labels {
  /** Group columns (every column except identity and image), in file order. */
  columns: string[];
  /** Labels by image path (relative to the dataset root); empty cells are left out (unknown). */
  byImage: Map<string, Record<string, string>>;
  /** Labels by identity, for columns on which all of the identity's rows agree. */
  byIdentity: Map<string, Record<string, string>>;
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new OpenLfrError('BAD_REQUEST', 'Labels CSV: a quoted field is not closed');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** A column named "age" holding years is compared by age bins (issue 15), not one group per year. */
const AGE_COLUMN = /^age$/i;
export const AGE_BINS = ['under 30', '30-44', '45-59', '60 and over'] as const;

/** Years to their bin; any other value (a bin already, "unknown") is kept as written. */
export function ageBin(v: string): string {
  if (!/^\d+(\.\d+)?$/.test(v)) return v;
  const y = Number(v);
  return y < 30 ? AGE_BINS[0] : y < 45 ? AGE_BINS[1] : y < 60 ? AGE_BINS[2] : AGE_BINS[3];
}

export function parseLabels(text: string): Labels {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows[0]?.map((h) => h.trim());
  if (!header) throw new OpenLfrError('BAD_REQUEST', 'Labels CSV is empty');
  const idCol = header.indexOf('identity');
  const imgCol = header.indexOf('image');
  if (idCol < 0 || imgCol < 0) throw new OpenLfrError('BAD_REQUEST', `Labels CSV needs the columns "identity" and "image" (found: ${header.join(', ')})`);
  const columns = header.filter((_, i) => i !== idCol && i !== imgCol);
  if (columns.some((c) => c === '')) throw new OpenLfrError('BAD_REQUEST', 'Labels CSV has a column without a name');
  const byImage = new Map<string, Record<string, string>>();
  const perIdentity = new Map<string, Map<string, Set<string>>>();
  rows.slice(1).forEach((r, n) => {
    if (r.length !== header.length) throw new OpenLfrError('BAD_REQUEST', `Labels CSV line ${n + 2}: ${r.length} fields, expected ${header.length}`);
    const identity = r[idCol]!.trim();
    const labels: Record<string, string> = {};
    header.forEach((h, i) => {
      const v = r[i]!.trim();
      if (i !== idCol && i !== imgCol && v !== '') labels[h] = AGE_COLUMN.test(h) ? ageBin(v) : v;
    });
    byImage.set(r[imgCol]!.trim().replace(/\\/g, '/'), labels);
    const per = perIdentity.get(identity) ?? new Map<string, Set<string>>();
    perIdentity.set(identity, per);
    for (const c of columns) {
      const set = per.get(c) ?? new Set<string>();
      set.add(labels[c] ?? '');
      per.set(c, set);
    }
  });
  const byIdentity = new Map<string, Record<string, string>>();
  for (const [identity, per] of perIdentity) {
    const labels: Record<string, string> = {};
    for (const [c, values] of per) if (values.size === 1 && !values.has('')) labels[c] = [...values][0]!;
    byIdentity.set(identity, labels);
  }
  return { columns, byImage, byIdentity };
}

/** Labels of an image: its own row, else the labels its identity's rows agree on, else none. */
export function labelsFor(labels: Labels | null, image: DatasetImage): Record<string, string> {
  if (!labels) return {};
  return labels.byImage.get(image.rel) ?? labels.byIdentity.get(image.identity) ?? {};
}

// ---------------------------------------------------------------------------------------------------------------
// LFW pairs

export interface PairSpec {
  same: boolean;
  /** Image paths relative to the dataset root. */
  a: string;
  b: string;
}

const lfwPath = (name: string, index: string) => {
  const n = Number(index);
  if (!Number.isInteger(n) || n < 1) throw new OpenLfrError('BAD_REQUEST', `Pairs file: "${index}" is not an image number`);
  return `${name}/${name}_${String(n).padStart(4, '0')}.jpg`;
};

/**
 * The LFW pairs format: a header line "N" (pairsDevTrain.txt) or "S N" (pairs.txt: S sets), then per set
 * N lines "name i j" (same person) followed by N lines "name1 i name2 j" (different people).
 */
export function parsePairs(text: string): PairSpec[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const head = lines[0]?.split(/\s+/).map(Number);
  if (!head || head.some((x) => !Number.isInteger(x) || x <= 0) || head.length > 2)
    throw new OpenLfrError('BAD_REQUEST', 'Pairs file: the first line must be "N" or "SETS N"');
  const [sets, n] = head.length === 2 ? [head[0]!, head[1]!] : [1, head[0]!];
  if (lines.length - 1 !== sets * n * 2) throw new OpenLfrError('BAD_REQUEST', `Pairs file: expected ${sets * n * 2} pair lines, found ${lines.length - 1}`);
  const out: PairSpec[] = [];
  lines.slice(1).forEach((line, i) => {
    const f = line.split(/\s+/);
    const same = i % (2 * n) < n;
    if (same && f.length === 3) out.push({ same, a: lfwPath(f[0]!, f[1]!), b: lfwPath(f[0]!, f[2]!) });
    else if (!same && f.length === 4) out.push({ same, a: lfwPath(f[0]!, f[1]!), b: lfwPath(f[2]!, f[3]!) });
    else throw new OpenLfrError('BAD_REQUEST', `Pairs file line ${i + 2}: expected ${same ? '"name i j"' : '"name1 i name2 j"'}`);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Search protocols

export interface WatchlistEntry {
  readonly image: DatasetImage;
  /** A distractor: an identity with no mated searches, on the watchlist to make it larger. */
  readonly distractor: boolean;
}

export interface ProtocolSearch {
  readonly image: DatasetImage;
  /** The searcher's identity has an entry on the watchlist. */
  readonly mated: boolean;
}

export interface Protocol {
  mode: 'dataset' | 'enrol-probe';
  watchlist: WatchlistEntry[];
  searches: ProtocolSearch[];
  /** Identities present (watchlist or searches). */
  identities: number;
  distractors: number;
}

/** One correction of a dataset's labels, with the evidence for it (see `parseLabelCorrections`). */
export interface LabelCorrection {
  /** `Folder/` (every image of that identity) or `Folder/image.jpg`. */
  path: string;
  action: 'relabel' | 'exclude';
  /** The identity the image(s) really show (relabel only). */
  identity: string | null;
  evidence: string;
}

/**
 * Label corrections file: CSV with a header `path,action,identity,evidence`; `#` lines are comments.
 * `relabel` files the image (or the whole folder) under another identity (one person filed under two
 * names, or a photograph of someone else); `exclude` drops it (the same photograph filed under two
 * names, where which is right cannot be told). Every row needs its evidence.
 */
export function parseLabelCorrections(text: string): LabelCorrection[] {
  const rows = parseCsv(text.split(/\r?\n/).filter((l) => !l.trimStart().startsWith('#')).join('\n')).filter((r) => r.some((c) => c.trim() !== ''));
  const header = rows.shift()?.map((c) => c.trim());
  if (header?.join(',') !== 'path,action,identity,evidence') throw new OpenLfrError('BAD_REQUEST', 'A label corrections file starts with the header path,action,identity,evidence');
  return rows.map((r, i) => {
    const [path = '', action = '', identity = '', evidence = ''] = r.map((c) => c.trim());
    const where = `label corrections row ${i + 2}`;
    if (!/^[^/]+\/([^/]+)?$/.test(path)) throw new OpenLfrError('BAD_REQUEST', `${where}: path must be Folder/ or Folder/image (got "${path}")`);
    if (action !== 'relabel' && action !== 'exclude') throw new OpenLfrError('BAD_REQUEST', `${where}: action must be relabel or exclude (got "${action}")`);
    if (action === 'relabel' && (!identity || identity.includes('/'))) throw new OpenLfrError('BAD_REQUEST', `${where}: relabel needs the identity the image shows`);
    if (!evidence) throw new OpenLfrError('BAD_REQUEST', `${where}: every correction needs its evidence`);
    return { path, action, identity: action === 'relabel' ? identity : null, evidence };
  });
}

/** Applies corrections to a scanned tree; a path that matches no image is refused (a typo must not pass silently). */
export function applyLabelCorrections(images: readonly DatasetImage[], corrections: readonly LabelCorrection[]): DatasetImage[] {
  const matches = (c: LabelCorrection, im: DatasetImage) => (c.path.endsWith('/') ? im.rel.startsWith(c.path) : im.rel === c.path);
  for (const c of corrections)
    if (!images.some((im) => matches(c, im))) throw new OpenLfrError('BAD_REQUEST', `label correction for ${c.path}: no such image or folder in the dataset`);
  return images.flatMap((im) => {
    const c = corrections.find((x) => matches(x, im));
    if (!c) return [im];
    return c.action === 'exclude' ? [] : [{ ...im, identity: c.identity! }];
  });
}

export interface DatasetProtocolOptions {
  /** How many single-image identities go onto the watchlist as distractors instead of being non-mated searches. */
  distractors?: number;
  /** Keep only these identities (for a split by identity: tune on one part, report on another). */
  includeIdentity?: (identity: string) => boolean;
  /** Reference images per watchlist subject (default 1): a person with n >= 2 images is enrolled with the first min(k, n - 1), the rest are searches. */
  references?: number;
  /**
   * The order in which a person's images are taken as references (default: file-name order). `--reference-choice
   * quality` passes the engine's own quality order, best first, as a watchlist manager choosing the best of a
   * person's custody photos would.
   */
  referenceOrder?: (images: readonly DatasetImage[]) => DatasetImage[];
}

function byIdentity(images: readonly DatasetImage[]): Map<string, DatasetImage[]> {
  const m = new Map<string, DatasetImage[]>();
  for (const im of images) {
    const list = m.get(im.identity) ?? [];
    list.push(im);
    m.set(im.identity, list);
  }
  return m;
}

/** A stable pseudo-random order of identities (by SHA-256 of the name), so distractor choice does not follow the alphabet. */
export function hashOrder(names: readonly string[]): string[] {
  const h = (s: string) => createHash('sha256').update(s).digest('hex');
  return [...names].sort((a, b) => byteOrder(h(a), h(b)));
}

/**
 * One folder per identity: the first image (in file-name order) of each identity with at least two images is
 * its watchlist entry and the others are mated searches; identities with one image are non-mated searches,
 * except `distractors` of them (chosen in SHA-256 order of the name) which join the watchlist instead.
 */
export function datasetProtocol(images: readonly DatasetImage[], options: DatasetProtocolOptions = {}): Protocol {
  const groups = [...byIdentity(images)].filter(([id]) => !options.includeIdentity || options.includeIdentity(id));
  const singles = groups.filter(([, ims]) => ims.length === 1).map(([id]) => id);
  const wanted = options.distractors ?? 0;
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > singles.length)
    throw new OpenLfrError('BAD_REQUEST', `distractors must be a whole number from 0 to ${singles.length} (the single-image identities)`);
  const distractorSet = new Set(hashOrder(singles).slice(0, wanted));
  const refs = options.references ?? 1;
  if (!Number.isInteger(refs) || refs < 1 || refs > 100) throw new OpenLfrError('BAD_REQUEST', `references per subject must be a whole number from 1 to 100 (got ${refs})`);
  const watchlist: WatchlistEntry[] = [];
  const searches: ProtocolSearch[] = [];
  for (const [id, ims] of groups) {
    if (ims.length >= 2) {
      const k = Math.min(refs, ims.length - 1);
      const ordered = options.referenceOrder ? options.referenceOrder(ims) : ims;
      if (ordered.length !== ims.length) throw new OpenLfrError('INTERNAL', 'a reference order must keep every image');
      for (const im of ordered.slice(0, k)) watchlist.push({ image: im, distractor: false });
      for (const im of ordered.slice(k)) searches.push({ image: im, mated: true });
    } else if (distractorSet.has(id)) watchlist.push({ image: ims[0]!, distractor: true });
    else searches.push({ image: ims[0]!, mated: false });
  }
  return { mode: 'dataset', watchlist, searches, identities: groups.length, distractors: wanted };
}

/**
 * Police-style: every image in the enrol tree is a watchlist entry of its folder's identity (several per
 * identity allowed); every probe image is a search, mated when its identity folder exists in the enrol tree.
 */
export function enrolProbeProtocol(enrol: readonly DatasetImage[], probe: readonly DatasetImage[], options: Pick<DatasetProtocolOptions, 'includeIdentity'> = {}): Protocol {
  const keep = (im: DatasetImage) => !options.includeIdentity || options.includeIdentity(im.identity);
  const watchlist = enrol.filter(keep).map((image) => ({ image, distractor: false }));
  const enrolled = new Set(watchlist.map((w) => w.image.identity));
  const searches = probe.filter(keep).map((image) => ({ image, mated: enrolled.has(image.identity) }));
  const identities = new Set([...enrolled, ...searches.map((s) => s.image.identity)]).size;
  return { mode: 'enrol-probe', watchlist, searches, identities, distractors: 0 };
}
