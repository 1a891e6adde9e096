import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWindowState, restoredBounds, saveWindowState } from '../../main/electron/window-state';
import { windowSizeLimits } from '../../main/electron/window-options';

const laptop = { x: 0, y: 0, width: 1440, height: 900 };
const monitorRight = { x: 1440, y: 0, width: 2560, height: 1440 };

describe('restoring the window', () => {
  it('opens at the default size, centred, the first time', () => {
    expect(restoredBounds(null, [laptop], windowSizeLimits)).toEqual({ width: 1440, height: 900, maximized: false });
  });

  it('keeps a position that is still on a screen, and the maximized flag', () => {
    const saved = { x: 1600, y: 100, width: 1800, height: 1000, maximized: true };
    expect(restoredBounds(saved, [laptop, monitorRight], windowSizeLimits)).toEqual(saved);
  });

  it('drops a position on a screen that is gone, and shrinks the size to the screens there are', () => {
    const saved = { x: 1600, y: 100, width: 2400, height: 1300, maximized: false };
    expect(restoredBounds(saved, [laptop], windowSizeLimits)).toEqual({ width: 1440, height: 900, maximized: false });
  });

  it('drops a position whose title bar is off the top or the left', () => {
    expect(restoredBounds({ x: 100, y: -500, width: 1000, height: 700, maximized: false }, [laptop], windowSizeLimits)).toEqual({ width: 1000, height: 700, maximized: false });
    expect(restoredBounds({ x: -990, y: 10, width: 1000, height: 700, maximized: false }, [laptop], windowSizeLimits)).toEqual({ width: 1000, height: 700, maximized: false });
  });

  it('never goes below the minimum size', () => {
    expect(restoredBounds({ x: 10, y: 10, width: 200, height: 100, maximized: false }, [laptop], windowSizeLimits)).toEqual({ x: 10, y: 10, width: 960, height: 600, maximized: false });
  });
});

describe('the window-state file', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'batchscope-window-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips, and a missing or malformed file means no saved state', () => {
    const file = join(dir, 'nested', 'window-state.json');
    expect(loadWindowState(file)).toBeNull();
    saveWindowState(file, { x: 1, y: 2, width: 1000, height: 700, maximized: false });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ x: 1, y: 2, width: 1000, height: 700, maximized: false });
    expect(loadWindowState(file)).toEqual({ x: 1, y: 2, width: 1000, height: 700, maximized: false });
    writeFileSync(file, '{"x": "left", "y": 0, "width": 10, "height": 10, "maximized": false}');
    expect(loadWindowState(file)).toBeNull();
    writeFileSync(file, '{ truncated');
    expect(loadWindowState(file)).toBeNull();
  });
});
