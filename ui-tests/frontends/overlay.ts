/** What the frontend suites read of the panel's pixels. */
import type { Page } from '@playwright/test';

/** How many distinct RGBA values the overlay of the panel `panel` (a selector) holds. */
export async function overlayColours(
  page: Page,
  panel: string
): Promise<number> {
  return page
    .locator(`${panel} canvas.jp-GradCAM-overlay`)
    .evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas
        .getContext('2d')!
        .getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<string>();
      for (let i = 0; i < data.length; i += 4) {
        colours.add(`${data[i]},${data[i + 1]},${data[i + 2]},${data[i + 3]}`);
      }
      return colours.size;
    });
}
