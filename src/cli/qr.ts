// A donor's receipt link as a QR code (issue 12, "receipts people can use"): drawn in the
// terminal with Unicode half blocks (two module rows per line; a block is a light module,
// as on a dark terminal: uqr's renderUnicodeCompact) and written as an SVG file. uqr 0.1.3:
// no dependencies, runs in any runtime, renders ANSI/Unicode/SVG from one encoder.
// Error correction M (15%): a code photographed off a screen or a creased paper still reads.
import fs from 'node:fs';
import { encode, renderSVG, renderUnicodeCompact } from 'uqr';

const OPTIONS = { ecc: 'M', border: 2 } as const;

export interface ReceiptQr {
  /** the modules, true = dark, without the border */
  matrix(): boolean[][];
  terminal(): string;
  svg(): string;
  /** writes the SVG (mode 0600: the link holds the receipt secret) */
  writeSvg(file: string): void;
}

export function receiptQr(link: string): ReceiptQr {
  return {
    matrix: () => encode(link, { ecc: OPTIONS.ecc, border: 0 }).data,
    terminal: () => renderUnicodeCompact(link, OPTIONS),
    svg: () => renderSVG(link, { ...OPTIONS, pixelSize: 8 }),
    writeSvg(file) {
      fs.writeFileSync(file, renderSVG(link, { ...OPTIONS, pixelSize: 8 }), { mode: 0o600 });
    },
  };
}
