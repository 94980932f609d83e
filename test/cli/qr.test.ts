// The receipt's QR codes read back as the receipt link (issue 12, "receipts people can
// use"): what the terminal shows (Unicode half blocks) and what the SVG file draws are
// turned back into pixels and decoded with jsQR, an independent decoder (a dev dependency
// only: it is the camera's side), so a code that merely looks like one fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import jsQR from 'jsqr';
import { receiptQr } from '../../src/cli/qr.ts';
import { receiptLink } from '../../src/cli/charity.ts';
import { tempDir } from '../helpers/server.ts';

const SCALE = 6;

/** An RGBA image of a module matrix (true = dark), with a 4-module quiet zone. */
function image(dark: boolean[][]): { data: Uint8ClampedArray; width: number; height: number } {
  const n = dark.length + 8;
  const width = n * SCALE;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  dark.forEach((row, y) =>
    row.forEach((d, x) => {
      if (!d) return;
      for (let dy = 0; dy < SCALE; dy++)
        for (let dx = 0; dx < SCALE; dx++) {
          const i = (((y + 4) * SCALE + dy) * width + (x + 4) * SCALE + dx) * 4;
          data[i] = data[i + 1] = data[i + 2] = 0;
        }
    }),
  );
  return { data, width, height: width };
}

/** The modules of the terminal drawing: each character is two rows; a block is light (a dark terminal's convention). */
function fromTerminal(text: string): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of text.split('\n').filter((l) => l.length > 0)) {
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    for (const c of line) {
      const [t, b] = c === '█' ? [false, false] : c === '▀' ? [false, true] : c === '▄' ? [true, false] : c === ' ' ? [true, true] : [null, null];
      if (t === null) throw new Error(`unexpected character ${JSON.stringify(c)} in the terminal QR code`);
      top.push(t);
      bottom.push(b!);
    }
    rows.push(top, bottom);
  }
  return rows;
}

/** The modules of the SVG: every `M x,y h…` square of its dark path, on its pixel grid. */
function fromSvg(svg: string): boolean[][] {
  const view = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  assert.ok(view, 'viewBox');
  const squares = [...svg.matchAll(/M(\d+),(\d+)h(\d+)/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])] as const);
  assert.ok(squares.length > 100, `${squares.length} dark squares`);
  const px = squares[0]![2];
  const n = Number(view![1]) / px;
  const grid = Array.from({ length: n }, () => Array<boolean>(n).fill(false));
  for (const [x, y] of squares) grid[y / px]![x / px] = true;
  return grid;
}

const decode = (dark: boolean[][]) => {
  const img = image(dark);
  return jsQR(img.data, img.width, img.height)?.data;
};

test('the receipt link has the secret in the fragment, escaped', () => {
  assert.is(receiptLink('http://127.0.0.1:8080/', 'don-1', 'a+b/c='), 'http://127.0.0.1:8080/donations/don-1#secret=a%2Bb%2Fc%3D');
});

test('the terminal QR code and the SVG file decode to the receipt link', () => {
  const link = receiptLink('https://ledger.example.org', 'don-20261207-abcdefgh', 'EPnSg0ClF2hk4WWfIa-pIXsWc8DUnGIIT9_ojq9li6c');
  const qr = receiptQr(link);
  assert.is(decode(qr.matrix()), link);
  const term = qr.terminal();
  assert.is(decode(fromTerminal(term)), link, term);
  const file = path.join(tempDir('cotc-qr-'), 'receipt.svg');
  qr.writeSvg(file);
  assert.is(fs.statSync(file).mode & 0o777, 0o600);
  assert.is(decode(fromSvg(fs.readFileSync(file, 'utf8'))), link);
  // It can fail: another link's code does not read as this one.
  assert.is.not(decode(receiptQr(link + 'x').matrix()), link);
});

test.run();
