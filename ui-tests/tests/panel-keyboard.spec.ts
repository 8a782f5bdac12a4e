/**
 * The panel by keyboard, in a real JupyterLab: the compare strips are one tab stop each, arrow
 * keys (and Home/End) move between thumbnails, Up/Down to the other strip, Enter chooses and the
 * focus stays on the chosen thumbnail; the open command has a shortcut (Accel Alt G). The model
 * is the UI unit tests' tiny CNN (layers conv1, relu1, conv2, relu2; 5 classes), opened with
 * Open With > Grad-CAM on an image file (no kernel).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { openTinyModel } from './tinyModel';

/** The focused element's strip (0: layers, 1: classes) and thumbnail key, or null. */
async function focused(
  page: IJupyterLabPageFixture
): Promise<{ row: number; key: string } | null> {
  return page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    if (!active?.classList.contains('jp-GradCAM-thumbButton')) {
      return null;
    }
    const rows = Array.from(
      document.querySelectorAll('.jp-GradCAM-compare .jp-GradCAM-compareItems')
    );
    return {
      row: rows.indexOf(active.parentElement!),
      key: active.dataset.key ?? ''
    };
  });
}

/** The keys of a strip's tab stops (tabindex 0). */
async function tabStops(strip: Locator): Promise<string[]> {
  return strip
    .locator('.jp-GradCAM-thumbButton[tabindex="0"]')
    .evaluateAll(buttons =>
      buttons.map(b => (b as HTMLElement).dataset.key ?? '')
    );
}

test('arrow keys move between thumbnails, and Enter keeps the focus on the chosen one', async ({
  page,
  tmpPath
}) => {
  const panel = await openTinyModel(page, tmpPath);
  const strips = panel.locator('.jp-GradCAM-compareItems');
  const [layers, classes] = [strips.nth(0), strips.nth(1)];
  await expect(layers.locator('.jp-GradCAM-thumbButton')).toHaveCount(4);
  const target = (await panel.getAttribute('data-target'))!;
  // One tab stop per strip: its current thumbnail.
  expect(await tabStops(layers)).toEqual(['relu2']);
  expect(await tabStops(classes)).toEqual([target]);

  // Focusing the strip blurs the std field: its change event must not explain again (it did,
  // which emptied the strips and dropped the focus on <body>).
  await layers.locator('.jp-GradCAM-thumbButton[data-key="relu2"]').focus();
  await expect.poll(() => focused(page)).toEqual({ row: 0, key: 'relu2' });
  await page.waitForTimeout(300);
  expect(await focused(page)).toEqual({ row: 0, key: 'relu2' });
  expect(await panel.getAttribute('data-state')).toBe('ready');
  await page.keyboard.press('ArrowLeft');
  expect(await focused(page)).toEqual({ row: 0, key: 'conv2' });
  expect(await tabStops(layers)).toEqual(['conv2']);
  await page.keyboard.press('Home');
  expect(await focused(page)).toEqual({ row: 0, key: 'conv1' });
  await page.keyboard.press('End');
  expect(await focused(page)).toEqual({ row: 0, key: 'relu2' });
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowRight');
  expect(await focused(page)).toEqual({ row: 0, key: 'conv2' });
  // Moving the focus chooses nothing.
  await expect(panel).toHaveAttribute('data-layer', 'relu2');

  await page.keyboard.press('Enter');
  await expect(panel).toHaveAttribute('data-layer', 'conv2');
  // After the repaint the focus is still on the chosen thumbnail, the strip's only tab stop.
  await page.waitForTimeout(300);
  expect(await focused(page)).toEqual({ row: 0, key: 'conv2' });
  expect(await tabStops(layers)).toEqual(['conv2']);

  // Down to the classes strip, right to another class, Enter: a class switch keeps the place too.
  await page.keyboard.press('ArrowDown');
  const down = (await focused(page))!;
  expect(down.row).toBe(1);
  await page.keyboard.press(down.key === target ? 'ArrowRight' : 'ArrowLeft');
  const chosen = (await focused(page))!;
  expect(chosen.row).toBe(1);
  expect(chosen.key).not.toBe(target);
  await page.keyboard.press('Enter');
  await expect(panel).toHaveAttribute('data-target', chosen.key);
  await page.waitForTimeout(300);
  expect(await focused(page)).toEqual(chosen);
  expect(await tabStops(classes)).toEqual([chosen.key]);
  // The layer strip now shows the chosen class at every layer; its tab stop is the layer shown.
  expect(await tabStops(layers)).toEqual(['conv2']);
});

test('the open command has a shortcut: Accel Alt G', async ({ page }) => {
  await page.notebook.createNew('keys.ipynb');
  await expect(page.locator('.jp-GradCAM-panel')).toHaveCount(0);
  await page.keyboard.press('Control+Alt+g');
  const panel = page.locator('.jp-GradCAM-panel').first();
  await expect(panel).toBeVisible({ timeout: 30_000 });
  await expect(panel).toHaveAttribute('data-state', 'idle');
  const keys = await page.evaluate(() =>
    window.jupyterapp.commands.keyBindings
      .filter(b => b.command === 'jupyterlab-gradcam:open')
      .map(b => b.keys.join(' '))
  );
  expect(keys).toEqual(['Ctrl Alt G']);
});
