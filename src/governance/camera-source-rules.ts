/**
 * Which camera sources a deployment may use (issue 14, finding 6), as pure rules over facts the services gather.
 * Any URL or any server folder used to be accepted, and ffmpeg fetched what it was given (SSRF).
 *
 *  - A stream is a URL of a known streaming scheme (rtsp, rtsps, rtmp, rtmps, http, https, srt, udp, tcp) whose host (or
 *    URL prefix) is on the ADMIN-set allow-list: an entry is a host name or address (any port and path on it),
 *    or a URL prefix (same scheme, host and port, path starting with the prefix's). Credentials in the URL do not
 *    take part in the match.
 *  - Anything else is a file or a folder and must lie under a configured media root (governance.mediaRoots;
 *    default `<home>/media`). A relative path is relative to the first root. A path that escapes a root
 *    (`..`, or a symbolic link that points out of it), or that looks like an ffmpeg protocol (`concat:`,
 *    `subfile,`, `file:`, …) or an option (`-i`), is refused.
 *  - Credentials (`user:password@`, and query values named like pass/token/key/secret/auth/sig) are never shown:
 *    `redactSource` gives `rtsp://user:***@host/…`, for the API, the audit trail, logs and the console.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { OpenLfrError } from '../errors.ts';

export const STREAM_SCHEMES = ['rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'srt', 'udp', 'tcp'] as const;
const URLISH = /^([a-z][a-z0-9+.-]*):\/\//i;
/** Something ffmpeg would read as a protocol (`concat:`, `subfile,,…:`, `file:`, `pipe:`), not a path. */
const PROTOCOLISH = /^[a-z][a-z0-9+.,-]*:/i;
const SECRET_PARAM = /(pass|pwd|token|key|secret|auth|sig|credential)/i;

/** A camera entry of a deployment: `name=source`, or just `source` (then the name is the source). */
export function splitCamera(entry: string): { name: string; source: string } {
  const i = entry.indexOf('=');
  if (i > 0 && !URLISH.test(entry.slice(0, i + 3))) return { name: entry.slice(0, i).trim(), source: entry.slice(i + 1).trim() };
  return { name: entry.trim(), source: entry.trim() };
}

/** The source with its credentials replaced by `***` (user name kept): safe to show, audit and log. */
export function redactSource(source: string): string {
  const m = URLISH.exec(source);
  if (!m) return source;
  let out = source.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
  out = out.replace(/([?&])([^=&#]+)=([^&#]*)/g, (all, sepChar: string, k: string) => (SECRET_PARAM.test(k) ? `${sepChar}${k}=***` : all));
  return out;
}

/** A camera entry (`name=source`) with its source redacted. */
export function redactCamera(entry: string): string {
  const { name, source } = splitCamera(entry);
  const red = redactSource(source);
  if (red === source) return entry;
  return name === source ? red : `${name}=${red}`;
}

/** Whether an entry carries a credential (then it is sealed at rest and shown redacted). */
export const hasCredentials = (entry: string): boolean => redactCamera(entry) !== entry;

export interface AllowEntry {
  /** `host` (a host name or address: any port and path on it) or `prefix` (a URL prefix). */
  kind: 'host' | 'prefix';
  /** Normalised: the lower-case host, or the prefix URL without credentials. */
  value: string;
}

/** Parse what an ADMIN adds to the allow-list; refused (BAD_REQUEST) if it is neither a host nor a stream URL prefix. */
export function parseAllowEntry(raw: string): AllowEntry {
  const text = raw.trim();
  const bad = (why: string): never => {
    throw new OpenLfrError('BAD_REQUEST', `entry: ${why} (a host such as cam-7.force.local or 10.20.0.15, or a URL prefix such as rtsp://10.20.0.15:554/Streaming/)`, { field: 'entry' });
  };
  if (URLISH.test(text)) {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      return bad('not a valid URL');
    }
    const scheme = u.protocol.slice(0, -1).toLowerCase();
    if (!(STREAM_SCHEMES as readonly string[]).includes(scheme)) bad(`${scheme} is not a streaming scheme (${STREAM_SCHEMES.join(', ')})`);
    if (u.username || u.password) bad('an allow-list entry carries no credentials');
    if (u.search || u.hash) bad('a prefix has no query or fragment');
    if (!u.hostname) bad('no host');
    return { kind: 'prefix', value: `${scheme}://${u.host.toLowerCase()}${u.pathname}` };
  }
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(text) && !/^\[[0-9a-f:.]+\]$/i.test(text)) bad('not a host name or address');
  return { kind: 'host', value: text.toLowerCase() };
}

function refuse(entry: string, why: string, details: Record<string, unknown> = {}): never {
  throw new OpenLfrError('CAMERA_SOURCE_REFUSED', `Camera source ${redactSource(splitCamera(entry).source)}: ${why}`, { camera: splitCamera(entry).name, ...details });
}

function under(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The absolute path of a file or folder source, or a refusal if it is outside every media root. */
export function resolveFileSource(entry: string, mediaRoots: readonly string[]): string {
  const { source } = splitCamera(entry);
  if (mediaRoots.length === 0) refuse(entry, 'no media root is configured, so no file or folder can be a camera (OPENLFR_MEDIA_ROOT)');
  if (source.startsWith('-')) refuse(entry, 'a source cannot start with "-"');
  if (PROTOCOLISH.test(source)) refuse(entry, 'not a streaming URL of an allowed scheme, and not a path', { allowedSchemes: [...STREAM_SCHEMES] });
  if ([...source].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) refuse(entry, 'control characters');
  const roots = mediaRoots.map((r) => resolve(r));
  const path = resolve(roots[0]!, source);
  const root = roots.find((r) => under(r, path));
  if (!root) refuse(entry, `files and folders must be under the media root (${roots.join(', ')})`, { mediaRoots: roots });
  if (existsSync(path)) {
    // a symbolic link inside the root may point anywhere: the real path must be under the root's real path
    const real = realpathSync(path);
    if (!under(existsSync(root) ? realpathSync(root) : root, real)) refuse(entry, 'it leads (through a link) out of the media root', { mediaRoots: roots });
  }
  return path;
}

/** Refuse a stream URL whose scheme is not a streaming one or whose host/prefix is not on the allow-list. */
export function checkStreamSource(entry: string, allow: readonly AllowEntry[]): void {
  const { source } = splitCamera(entry);
  // ffmpeg splits a URL its own way: refuse what two parsers could read differently (a backslash, white space,
  // control characters), and check that the host ffmpeg would take (after the last @ of the authority) is the
  // host checked here
  if (/[\\\s]/.test(source) || [...source].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) refuse(entry, 'a backslash, space or control character in a URL');
  let u: URL;
  try {
    u = new URL(source);
  } catch {
    return refuse(entry, 'not a valid URL');
  }
  const authority = source.replace(URLISH, '').split(/[/?#]/, 1)[0]!;
  const ffmpegHost = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  if (ffmpegHost.replace(/:\d*$/, '') !== u.hostname.toLowerCase()) refuse(entry, 'its host is ambiguous');
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (!(STREAM_SCHEMES as readonly string[]).includes(scheme)) refuse(entry, `${scheme} is not an allowed streaming scheme (${STREAM_SCHEMES.join(', ')})`);
  const host = u.hostname.toLowerCase();
  const prefixOf = `${scheme}://${u.host.toLowerCase()}${u.pathname}`;
  const ok = allow.some((a) => (a.kind === 'host' ? a.value === host || a.value === `[${host}]` || `[${a.value}]` === host : prefixOf.startsWith(a.value) && (a.value.endsWith('/') || prefixOf.length === a.value.length || prefixOf[a.value.length] === '/')));
  if (!ok) refuse(entry, `${u.host} is not on the ADMIN's allow-list of camera sources`, { host: u.host });
}

/** Check every camera of a deployment. */
export function checkCameraSources(cameras: readonly string[], policy: { mediaRoots: readonly string[]; allow: readonly AllowEntry[] }): void {
  for (const entry of cameras) {
    if (URLISH.test(splitCamera(entry).source)) checkStreamSource(entry, policy.allow);
    else resolveFileSource(entry, policy.mediaRoots);
  }
}
