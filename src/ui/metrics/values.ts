/**
 * What the metrics strip shows, without a DOM: one row per number (named as the CLI's JSON
 * fields, so that `data-metric` matches `evaluate --out`), and a curve as SVG polyline points.
 */
import type { IMapScores } from '../tokens';

/** One number of the strip. */
export interface IMetricRow {
  /** The CLI's JSON field (`deletion_auc`; ROAD's as `road_<field>_<percent>`). */
  key: string;
  /** The label shown. */
  label: string;
  /** The value (booleans as 1/0, a box as its corners' text); null when not computed. */
  value: number | null;
  /** The value as shown. */
  text: string;
  /** The definition (the tooltip). */
  title: string;
}

/** The rows of `scores`: faithfulness, ROAD when computed, localisation when there is a box. */
export function metricRows(scores: IMapScores): IMetricRow[] {
  const rows: IMetricRow[] = [
    number('p', 'p', scores.p, 'p_t(x): softmax probability of the class'),
    number(
      'confidence_change',
      'conf. change',
      scores.confidenceChange,
      'p_t(x * m) - p_t(x)'
    ),
    number(
      'average_drop',
      'avg drop',
      scores.averageDrop,
      'max(0, p_t(x) - p_t(x * m)) / p_t(x)'
    ),
    number(
      'increase_in_confidence',
      'increase',
      scores.increaseInConfidence,
      '1 when p_t(x * m) > p_t(x), else 0'
    ),
    number(
      'deletion_auc',
      'deletion AUC',
      scores.deletionAuc,
      'p_t as pixels are removed (set to 0), highest map values first; trapezoid mean. Lower is better'
    ),
    number(
      'insertion_auc',
      'insertion AUC',
      scores.insertionAuc,
      'p_t as original pixels return into the blurred image, highest map values first; trapezoid mean. Higher is better'
    )
  ];
  const road = scores.road;
  if (road) {
    rows.push(
      number(
        'road_combined',
        'ROAD',
        road.combined,
        `ROAD combined: mean over ${road.removedPercent.join('/')}% of (LeRF - MoRF) / 2, noisy linear imputation. Higher is better`
      )
    );
    road.removedPercent.forEach((q, i) => {
      rows.push(
        number(
          `road_morf_${q}`,
          `MoRF ${q}%`,
          road.mostRelevantFirst[i],
          `p_t with the ${q}% most relevant pixels imputed`
        ),
        number(
          `road_lerf_${q}`,
          `LeRF ${q}%`,
          road.leastRelevantFirst[i],
          `p_t with the ${q}% least relevant pixels imputed`
        )
      );
    });
  }
  if (scores.pointingHit !== null) {
    rows.push(
      {
        key: 'pointing_hit',
        label: 'pointing',
        value: scores.pointingHit ? 1 : 0,
        text: scores.pointingHit ? 'hit' : 'miss',
        title:
          "The map's first maximum lies in the box grown by 15 px (pointing game)"
      },
      number(
        'energy_in_box',
        'energy in box',
        scores.energyInBox,
        'Sum of the map inside the box over its sum'
      ),
      {
        key: 'loc_box',
        label: 'loc box',
        value: null,
        text: scores.locBox ? `[${scores.locBox.join(', ')}]` : 'none',
        title:
          'Box around the largest 8-connected region where the map >= 15% of its maximum'
      },
      number(
        'loc_iou',
        'loc IoU',
        scores.locIou,
        'Intersection over union of the loc box and the given box'
      )
    );
  }
  return rows;
}

function number(
  key: string,
  label: string,
  value: number | null,
  title: string
): IMetricRow {
  return {
    key,
    label,
    value,
    text: value === null ? '-' : value.toFixed(3),
    title
  };
}

/**
 * A curve of values in [0, 1] at evenly spaced steps as polyline points in a width x height box
 * (y up: 1 at the top). Values outside [0, 1] are clamped so that the line stays in its plot.
 */
export function curvePoints(
  curve: readonly number[],
  width: number,
  height: number
): string {
  const last = Math.max(1, curve.length - 1);
  return curve
    .map((v, k) => {
      const x = (k * width) / last;
      const y = (1 - Math.min(1, Math.max(0, v))) * height;
      return `${round2(x)},${round2(y)}`;
    })
    .join(' ');
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
