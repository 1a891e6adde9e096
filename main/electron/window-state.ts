/**
 * The main window's size and position, kept across launches in the app's
 * userData folder. A saved position is used only while it is still on a
 * screen (a monitor may be gone since), and sizes stay within the screens.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface WindowState {
  x: number;
  y: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface ScreenArea {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RestoredBounds {
  /** absent: let the window manager place (centre) it */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface WindowSizeLimits {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
}

/** how much of the window's top edge (where it is dragged from) must be on a screen to keep the position */
const grabWidthPx = 120;
const grabHeightPx = 32;

function isWindowState(value: unknown): value is WindowState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['x', 'y', 'width', 'height'].every((key) => Number.isFinite(v[key])) && typeof v['maximized'] === 'boolean';
}

export function loadWindowState(file: string): WindowState | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isWindowState(parsed) ? parsed : null;
  } catch {
    // first launch, or a file from elsewhere: the default size
    return null;
  }
}

export function saveWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true });
  // written aside and renamed, so a crash mid-write leaves the previous state
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state)}\n`);
  renameSync(`${file}.tmp`, file);
}

function overlap(a: ScreenArea, b: ScreenArea): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

export function restoredBounds(saved: WindowState | null, screens: readonly ScreenArea[], limits: WindowSizeLimits): RestoredBounds {
  if (!saved || screens.length === 0) return { width: limits.width, height: limits.height, maximized: false };
  const widest = Math.max(...screens.map((s) => s.width));
  const tallest = Math.max(...screens.map((s) => s.height));
  const width = Math.round(Math.min(Math.max(saved.width, limits.minWidth), Math.max(widest, limits.minWidth)));
  const height = Math.round(Math.min(Math.max(saved.height, limits.minHeight), Math.max(tallest, limits.minHeight)));
  const topEdge = { x: saved.x, y: saved.y, width, height: grabHeightPx };
  const reachable = screens.some((screen) => {
    const shared = overlap(topEdge, screen);
    return shared.width >= Math.min(grabWidthPx, width) && shared.height >= grabHeightPx;
  });
  return reachable ? { x: Math.round(saved.x), y: Math.round(saved.y), width, height, maximized: saved.maximized } : { width, height, maximized: saved.maximized };
}
