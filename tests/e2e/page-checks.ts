/**
 * What the browser suites look at on a page: whether a chart drew its series
 * (coloured canvas pixels) and a full-height screenshot for a person to check.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from './ensure-built';

export const screenshotDir = join(repoRoot, 'tests', 'artifacts', 'screenshots');

/**
 * Pixels of the element's canvases (ECharts may draw a series on a layer of
 * its own) that are painted, and those in a saturated colour: axes, grid and
 * labels are grey, so only series (lines, bars, heatmap cells) count as coloured.
 * Translucent bands need a lower alpha and saturation than lines (`minAlpha`, `minChroma`).
 */
export async function canvasPixels(page: Page, testid: string, options: { minAlpha?: number; minChroma?: number } = {}): Promise<{ painted: number; coloured: number }> {
  const { minAlpha = 128, minChroma = 60 } = options;
  return page
    .getByTestId(testid)
    .locator('canvas')
    .evaluateAll(
      (canvases, limits) => {
        let painted = 0;
        let coloured = 0;
        for (const canvas of canvases as HTMLCanvasElement[]) {
          const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3]! < limits.minAlpha) continue;
            painted++;
            const r = data[i]!;
            const g = data[i + 1]!;
            const b = data[i + 2]!;
            if (Math.max(r, g, b) - Math.min(r, g, b) > limits.minChroma) coloured++;
          }
        }
        return { painted, coloured };
      },
      { minAlpha, minChroma },
    );
}

/** Waits until the chart has drawn its series; resolves to its coloured pixel count. */
export async function expectChartDrawn(page: Page, testid: string, options: { minAlpha?: number; minChroma?: number } = {}): Promise<number> {
  await page.getByTestId(testid).locator('canvas').first().waitFor();
  await expect.poll(async () => (await canvasPixels(page, testid, options)).coloured, { timeout: 15_000, message: `${testid} draws its series` }).toBeGreaterThan(150);
  return (await canvasPixels(page, testid, options)).coloured;
}

/** The whole view, not just the viewport: the app scrolls inside main.content. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const heightPx = await page.evaluate(() => document.querySelector('main.content')?.scrollHeight ?? 1000);
  await page.setViewportSize({ width: 1440, height: Math.min(3200, Math.max(900, heightPx)) });
  await page.waitForTimeout(400); // charts resize on the next frame
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
  await page.setViewportSize({ width: 1440, height: 1000 });
}
