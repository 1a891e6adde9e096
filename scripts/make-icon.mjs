#!/usr/bin/env node
// Draws resources/icon.png (1024×1024, the size electron-builder turns into .icns, .ico and
// the Linux icon set): bars of growing batch size under a loss curve, on a rounded square.
// Generated here rather than checked in from elsewhere, so the icon can be changed in code.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { crc32 } from 'node:zlib';

const size = 1024;
const pixels = Buffer.alloc(size * size * 4);
const background = [23, 32, 48];
const bar = [56, 189, 178];
const curve = [250, 204, 21];

function inRoundedSquare(x, y, inset, radius) {
  const lo = inset + radius;
  const hi = size - inset - radius;
  const dx = x < lo ? lo - x : x > hi ? x - hi : 0;
  const dy = y < lo ? lo - y : y > hi ? y - hi : 0;
  return x >= inset && x < size - inset && y >= inset && y < size - inset && dx * dx + dy * dy <= radius * radius;
}

const bars = [0.18, 0.3, 0.44, 0.6, 0.78];
const lossAt = (x) => 170 + 300 * (1 - Math.exp(-(x - 150) / 200));
for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    let color = null;
    if (inRoundedSquare(x, y, 40, 180)) {
      color = background;
      const slot = Math.floor((x - 170) / 142);
      const inBar = slot >= 0 && slot < bars.length && (x - 170) % 142 < 104 && y > 860 - bars[slot] * 640 && y < 860;
      if (inBar) color = bar;
      if (x > 150 && x < 880 && Math.abs(y - lossAt(x)) < 14) color = curve;
    }
    if (color) pixels.set([...color, 255], (y * size + x) * 4);
  }
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
const rows = Buffer.alloc(size * (size * 4 + 1));
for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../resources/icon.png', import.meta.url), png);
console.log(`resources/icon.png: ${size}×${size}, ${png.length} bytes`);
