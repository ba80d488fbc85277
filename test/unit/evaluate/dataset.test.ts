import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLabelCorrections, datasetProtocol, enrolProbeProtocol, labelsFor, parseCsv, parseLabelCorrections, parseLabels, parsePairs, type DatasetImage } from '../../../src/evaluate/dataset.ts';
import { readFileSync } from 'node:fs';
import { OpenLfrError } from '../../../src/errors.ts';

const img = (identity: string, n: number, prefix = ''): DatasetImage => {
  const rel = `${identity}/${identity}_${String(n).padStart(4, '0')}.jpg`;
  return { key: prefix + rel, identity, rel, abs: `/x/${rel}` };
};

test('dataset: first image enrolled, the rest mated, singles non-mated, distractors taken from the singles', () => {
  const images = [img('A', 1), img('A', 2), img('A', 3), img('B', 1), img('C', 1), img('D', 1), img('E', 1), img('E', 2)];
  const p = datasetProtocol(images);
  assert.deepEqual(p.watchlist.map((w) => w.image.rel), ['A/A_0001.jpg', 'E/E_0001.jpg']);
  assert.deepEqual(p.searches.filter((s) => s.mated).map((s) => s.image.rel), ['A/A_0002.jpg', 'A/A_0003.jpg', 'E/E_0002.jpg']);
  assert.deepEqual(p.searches.filter((s) => !s.mated).map((s) => s.image.identity), ['B', 'C', 'D']);
  assert.equal(p.identities, 5);
  const d = datasetProtocol(images, { distractors: 2 });
  assert.equal(d.watchlist.length, 4);
  assert.equal(d.watchlist.filter((w) => w.distractor).length, 2);
  assert.equal(d.searches.filter((s) => !s.mated).length, 1);
  const dIds = d.watchlist.filter((w) => w.distractor).map((w) => w.image.identity);
  assert.ok(!d.searches.some((s) => dIds.includes(s.image.identity)), 'a distractor is never also a non-mated search');
  assert.throws(() => datasetProtocol(images, { distractors: 4 }), OpenLfrError);
  const split = datasetProtocol(images, { includeIdentity: (id) => id !== 'A' });
  assert.equal(split.watchlist.length, 1);
});

test('dataset: several references per subject, always leaving at least one search', () => {
  const images = [img('A', 1), img('A', 2), img('A', 3), img('A', 4), img('B', 1), img('E', 1), img('E', 2)];
  const p = datasetProtocol(images, { references: 3 });
  assert.deepEqual(p.watchlist.map((w) => w.image.rel), ['A/A_0001.jpg', 'A/A_0002.jpg', 'A/A_0003.jpg', 'E/E_0001.jpg']);
  assert.deepEqual(p.searches.filter((s) => s.mated).map((s) => s.image.rel), ['A/A_0004.jpg', 'E/E_0002.jpg']);
  assert.deepEqual(p.searches.filter((s) => !s.mated).map((s) => s.image.identity), ['B']);
  assert.throws(() => datasetProtocol(images, { references: 0 }), OpenLfrError);
  assert.throws(() => datasetProtocol(images, { references: 1.5 }), OpenLfrError);
});

test('label corrections: folder merges, single images relabelled or excluded, evidence required, typos refused', () => {
  const text = [
    '# a comment, then the header',
    'path,action,identity,evidence',
    'B/,relabel,A,"one person under two names, B and A"',
    'E/E_0002.jpg,relabel,A,the photograph shows A',
    'C/C_0001.jpg,exclude,,the same photograph as D_0001',
  ].join('\n');
  const c = parseLabelCorrections(text);
  assert.equal(c.length, 3);
  assert.equal(c[0]!.evidence, 'one person under two names, B and A');
  const images = [img('A', 1), img('B', 1), img('B', 2), img('C', 1), img('D', 1), img('E', 1), img('E', 2)];
  const out = applyLabelCorrections(images, c);
  assert.deepEqual(out.map((i) => `${i.rel}=${i.identity}`), ['A/A_0001.jpg=A', 'B/B_0001.jpg=A', 'B/B_0002.jpg=A', 'D/D_0001.jpg=D', 'E/E_0001.jpg=E', 'E/E_0002.jpg=A']);
  const p = datasetProtocol(out);
  assert.deepEqual(p.watchlist.map((w) => w.image.rel), ['A/A_0001.jpg'], 'A (with B merged in and E_0002) has 4 images; E and D are single now');
  assert.throws(() => parseLabelCorrections('path,action,identity,evidence\nA/,relabel,B,'), /evidence/);
  assert.throws(() => parseLabelCorrections('path,action,identity,evidence\nA/,rename,B,x'), /relabel or exclude/);
  assert.throws(() => parseLabelCorrections('path,action,identity,evidence\nA/,relabel,,x'), /identity/);
  assert.throws(() => parseLabelCorrections('path,identity\nA/,B'), /header/);
  assert.throws(() => applyLabelCorrections(images, parseLabelCorrections('path,action,identity,evidence\nZ/,exclude,,x')), /no such image/);
});

test('label corrections: the committed LFW file parses, and every row carries evidence', () => {
  const c = parseLabelCorrections(readFileSync(new URL('../../../data/lfw-devtrain-label-corrections.csv', import.meta.url), 'utf8'));
  assert.ok(c.length >= 10);
  for (const row of c) assert.ok(row.evidence.length > 20, row.path);
});

test('dataset: enrol/probe trees matched by identity folder name', () => {
  const p = enrolProbeProtocol([img('A', 1, 'enrol/'), img('A', 2, 'enrol/'), img('B', 1, 'enrol/')], [img('A', 7, 'probe/'), img('Z', 1, 'probe/')]);
  assert.equal(p.watchlist.length, 3, 'several references per identity are allowed');
  assert.deepEqual(p.searches.map((s) => s.mated), [true, false]);
  assert.equal(p.identities, 3);
});

test('labels: CSV with quotes, empty cells unknown, identity-level fallback, bad files refused', () => {
  assert.deepEqual(parseCsv('a,"b,c","d""e"\r\n1,2,3\n'), [['a', 'b,c', 'd"e'], ['1', '2', '3']]);
  const l = parseLabels('identity,image,gender,race\nA,A/A_0001.jpg,F,\nA,A/A_0002.jpg,F,x\nB,B/B_0001.jpg,M,y\n');
  assert.deepEqual(l.columns, ['gender', 'race']);
  assert.deepEqual(l.byImage.get('A/A_0001.jpg'), { gender: 'F' });
  assert.deepEqual(labelsFor(l, img('A', 9)), { gender: 'F' }, 'an unlisted image takes the labels its identity agrees on');
  assert.deepEqual(labelsFor(l, img('Q', 1)), {});
  assert.deepEqual(labelsFor(null, img('A', 1)), {});
  assert.throws(() => parseLabels('name,file\nA,B\n'), /identity.*image/);
  assert.throws(() => parseLabels('identity,image,g\nA,B\n'), /line 2/);
  assert.throws(() => parseCsv('a,"b\n'), OpenLfrError);
});

test('pairs: the LFW formats (N and SETS N), and malformed files refused', () => {
  const p = parsePairs('2\nA\t1\t2\nB 3 4\nA 1 C 2\nB 2 D 10\n');
  assert.equal(p.length, 4);
  assert.deepEqual(p[0], { same: true, a: 'A/A_0001.jpg', b: 'A/A_0002.jpg' });
  assert.deepEqual(p[3], { same: false, a: 'B/B_0002.jpg', b: 'D/D_0010.jpg' });
  assert.equal(parsePairs('2 1\nA 1 2\nA 1 B 1\nC 1 2\nC 1 D 1\n').filter((x) => x.same).length, 2);
  assert.throws(() => parsePairs('3\nA 1 2\n'), /expected 6 pair lines/);
  assert.throws(() => parsePairs('1\nA 1\nA 1 B 1\n'), /line 2/);
  assert.throws(() => parsePairs('x\n'), OpenLfrError);
  assert.throws(() => parsePairs('1\nA 0 2\nA 1 B 1\n'), /image number/);
});

test('labels: an "age" column in years is compared by age bins; a person photographed at 44 and 45 keeps no identity-level bin', () => {
  const l = parseLabels('identity,image,gender,Age\nA,A/A_0001.jpg,F,29\nA,A/A_0002.jpg,F,29.5\nB,B/B_0001.jpg,M,30\nC,C/C_0001.jpg,M,44\nC,C/C_0002.jpg,M,45\nD,D/D_0001.jpg,F,71\nE,E/E_0001.jpg,F,unknown\n');
  assert.deepEqual(l.columns, ['gender', 'Age']);
  assert.equal(l.byImage.get('A/A_0001.jpg')!.Age, 'under 30');
  assert.equal(labelsFor(l, img('A', 7)).Age, 'under 30', 'both photos in one bin: the identity has it');
  assert.equal(l.byImage.get('B/B_0001.jpg')!.Age, '30-44');
  assert.equal(l.byImage.get('C/C_0002.jpg')!.Age, '45-59');
  assert.equal(labelsFor(l, img('C', 9)).Age, undefined, 'bins differ between the photos: unknown for an unlisted one');
  assert.equal(l.byImage.get('D/D_0001.jpg')!.Age, '60 and over');
  assert.equal(l.byImage.get('E/E_0001.jpg')!.Age, 'unknown', 'a value that is not years is kept as written');
  // other columns holding numbers are not binned
  assert.equal(parseLabels('identity,image,band\nA,A/A_0001.jpg,29\n').byImage.get('A/A_0001.jpg')!.band, '29');
});
