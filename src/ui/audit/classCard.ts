/**
 * One class of the audit as a card, `.jp-GradCAM-classCard` with `data-class` and
 * `data-flagged="true|false"`: count, accuracy, the classes it is confused with, the mean map with
 * the flagged region drawn, the causal numbers (score_drop, control_drop, flip_rate), and the
 * clusters of its explanations. Clicking the card (or a cluster) filters the gallery.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { AuditClass, AuditReport } from '../../engine/audit';
import { scaleToUnit } from '../../engine/image';
import type { ColormapName, MapSize } from '../../engine/image';
import { fitSize } from '../paint';
import { mapCanvas } from './draw';

/** The side the class's mean map is drawn at, in pixels. */
const MEAN_MAP_SIDE = 96;

/** The side a cluster's mean map is drawn at, in pixels. */
const CLUSTER_MAP_SIDE = 40;

/** What a card does when clicked: filter the gallery to the class, or to one of its clusters. */
export type CardAction = (cls: number, cluster: number | null) => void;

/** The card of one class. */
export function classCard(
  cls: AuditClass,
  report: AuditReport,
  options: {
    trans: TranslationBundle;
    colormap: ColormapName;
    select: CardAction;
    selected: boolean;
    selectedCluster: number | null;
  }
): HTMLElement {
  const { trans } = options;
  const card = document.createElement('div');
  card.className = 'jp-GradCAM-classCard';
  card.dataset.class = String(cls.index);
  card.dataset.flagged = String(cls.flagged);
  card.classList.toggle('jp-mod-flagged', cls.flagged);
  card.classList.toggle('jp-mod-selected', options.selected);
  card.tabIndex = 0;
  card.setAttribute('role', 'button');
  card.title = trans.__('Show the images of %1 in the gallery', cls.name);
  card.onclick = () => options.select(cls.index, null);
  card.onkeydown = event => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      options.select(cls.index, null);
    }
  };

  const title = element('div', 'jp-GradCAM-classTitle');
  title.textContent = `${cls.name}`;
  const counts = element('div', 'jp-GradCAM-classCounts');
  counts.textContent =
    cls.accuracy === null
      ? trans.__('%1 images', cls.count)
      : trans.__('%1 images, accuracy %2', cls.count, percent(cls.accuracy));
  card.append(title, counts);

  const imageSize: MapSize = {
    height: report.image_size[0],
    width: report.image_size[1]
  };
  const mapSize: MapSize = {
    height: report.map_size[0],
    width: report.map_size[1]
  };
  const view = cls.by_label ?? cls.by_prediction;
  if (
    view.count > 0 &&
    view.mean_map.length === mapSize.height * mapSize.width
  ) {
    const regions: Parameters<typeof mapCanvas>[4] = [];
    if (cls.region) {
      regions.push({ region: cls.region, imageSize, style: 'flag' });
    }
    if (cls.causal) {
      regions.push({
        region: cls.causal.control_region,
        imageSize,
        style: 'control'
      });
    }
    // Scaled to its own maximum: a mean of many maps is faint, its shape is what tells.
    const canvas = mapCanvas(
      scaleToUnit(view.mean_map),
      mapSize,
      fitSize(imageSize, MEAN_MAP_SIDE, true),
      options.colormap,
      regions
    );
    canvas.className = 'jp-GradCAM-classMap';
    canvas.setAttribute('aria-label', trans.__('Mean map of %1', cls.name));
    card.append(canvas);
  }

  card.append(flagElement(cls, trans));

  const names = report.classes.map(c => c.name);
  const confusions = view.confusions.filter(c => c.index !== cls.index);
  if (confusions.length > 0) {
    const line = element('div', 'jp-GradCAM-classConfusions');
    line.textContent = trans.__(
      'Confused with: %1',
      confusions
        .slice(0, 3)
        .map(c => `${names[c.index] ?? c.index} \u00d7${c.count}`)
        .join(', ')
    );
    card.append(line);
  }

  if (cls.clusters.length > 0) {
    const clusters = element('div', 'jp-GradCAM-classClusters');
    cls.clusters.forEach((cluster, k) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'jp-GradCAM-cluster';
      button.dataset.cluster = String(k);
      button.classList.toggle(
        'jp-mod-selected',
        options.selected && options.selectedCluster === k
      );
      const label =
        cluster.accuracy === null
          ? trans.__('cluster %1: %2 images', k + 1, cluster.size)
          : trans.__(
              'cluster %1: %2 images, accuracy %3',
              k + 1,
              cluster.size,
              percent(cluster.accuracy)
            );
      button.title = label;
      button.setAttribute('aria-label', label);
      if (cluster.mean_map.length === mapSize.height * mapSize.width) {
        button.append(
          mapCanvas(
            scaleToUnit(cluster.mean_map),
            mapSize,
            fitSize(imageSize, CLUSTER_MAP_SIDE, true),
            options.colormap
          )
        );
      }
      const caption = element('span', 'jp-GradCAM-clusterCaption');
      caption.textContent =
        cluster.accuracy === null
          ? String(cluster.size)
          : `${cluster.size} \u00b7 ${percent(cluster.accuracy)}`;
      button.append(caption);
      button.onclick = event => {
        event.stopPropagation();
        options.select(cls.index, k);
      };
      clusters.append(button);
    });
    card.append(clusters);
  }
  return card;
}

/** The flag in words, with the causal numbers when the region was tested. */
function flagElement(cls: AuditClass, trans: TranslationBundle): HTMLElement {
  const flag = element('div', 'jp-GradCAM-classFlag');
  if (!cls.region) {
    flag.textContent = trans.__('No region stands out');
    return flag;
  }
  const where = `[${cls.region.join(', ')}]`;
  const why =
    cls.reason === 'outside'
      ? trans.__('off the objects')
      : trans.__('%1 of the peaks', percent(cls.concentration ?? 0));
  flag.textContent = cls.flagged
    ? trans.__('Flagged: the evidence sits in %1 (%2)', where, why)
    : trans.__('Region %1 (%2) not confirmed by the causal test', where, why);
  if (cls.score_drop !== null && cls.control_drop !== null) {
    const numbers = element('div', 'jp-GradCAM-classCausal');
    numbers.dataset.scoreDrop = String(cls.score_drop);
    numbers.dataset.controlDrop = String(cls.control_drop);
    numbers.dataset.flipRate = String(cls.flip_rate ?? '');
    numbers.textContent = trans.__(
      'score_drop %1 (control_drop %2), flip_rate %3 (control %4)',
      cls.score_drop.toFixed(2),
      cls.control_drop.toFixed(2),
      percent(cls.flip_rate ?? 0),
      percent(cls.control_flip_rate ?? 0)
    );
    flag.append(numbers);
  }
  return flag;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(0)}%`;
}

function element(tag: string, className: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}
