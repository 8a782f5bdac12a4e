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
    text: value === null ? '-' : formatValue(value),
    title
  };
}

/**
 * A number as the strip shows it: three decimals, or two significant digits where three decimals
 * would leave fewer (a class at p = 0.0021 reads "0.0021", not "0.002" or "0.000").
 */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) {
    // A model that outputs NaN or infinity: say so in words, never "NaN" or "Infinity".
    return 'not finite';
  }
  return value === 0 || Math.abs(value) >= 0.01
    ? value.toFixed(3)
    : value.toPrecision(2);
}

/** A plot's y axis: `low` at the bottom edge, `high` at the top, both as their tick labels show. */
export interface ICurveAxis {
  low: number;
  high: number;
}

/** The room left above the highest value (and below the lowest, when that is negative). */
const HEADROOM = 0.05;
/** Significant digits of an axis end, so that its tick label states it exactly. */
const AXIS_DIGITS = 2;

/**
 * The y axis of a plot scaled to its curves (all of them on one axis): from 0 (or the lowest
 * value, when one is negative) to the highest value with a little headroom, rounded outwards to
 * two significant digits. The axis always holds 0, so a flat curve keeps a range (its own size;
 * a curve of zeros gets 0 to 1), and a probability's axis never goes above 1. Non-finite values
 * are left out; with none left the axis is 0 to 1.
 */
export function curveAxis(curves: readonly (readonly number[])[]): ICurveAxis {
  const values = curves.flat().filter(Number.isFinite);
  const bottom = Math.min(0, ...values);
  const top = Math.max(0, ...values);
  if (top === bottom) {
    return { low: 0, high: 1 };
  }
  const span = top - bottom;
  const low = bottom < 0 ? roundOutwards(bottom - HEADROOM * span, 'down') : 0;
  const high = roundOutwards(top + HEADROOM * span, 'up');
  const probabilities = bottom === 0 && top <= 1;
  return { low, high: probabilities ? Math.min(1, high) : high };
}

/** `value` rounded up or down to AXIS_DIGITS significant digits: the number its label reads. */
function roundOutwards(value: number, direction: 'up' | 'down'): number {
  if (value === 0) {
    return 0;
  }
  const unit =
    10 ** (Math.floor(Math.log10(Math.abs(value))) - AXIS_DIGITS + 1);
  const units = value / unit;
  // The tolerance keeps 0.0021 / 1e-4 = 21.000000000000004 from rounding up to 22.
  const slack = 1e-9 * Math.abs(units);
  const rounded =
    direction === 'up' ? Math.ceil(units - slack) : Math.floor(units + slack);
  return Number((rounded * unit).toPrecision(AXIS_DIGITS + 1));
}

/** An axis end as its tick label: its two significant digits (0.0021, 0.5, 1). */
export function formatTick(value: number): string {
  return String(Number(value.toPrecision(AXIS_DIGITS)));
}

/**
 * A curve at evenly spaced steps as polyline points in a width x height box, y up: `axis.low` at
 * the bottom edge, `axis.high` at the top. Values outside the axis are clamped so that the line
 * stays in its plot; non-finite values are left out (the line joins their neighbours).
 */
export function curvePoints(
  curve: readonly number[],
  axis: ICurveAxis,
  width: number,
  height: number
): string {
  const last = Math.max(1, curve.length - 1);
  const range = axis.high - axis.low;
  return curve
    .flatMap((v, k) => {
      if (!Number.isFinite(v)) {
        return [];
      }
      const x = (k * width) / last;
      const share = range > 0 ? (v - axis.low) / range : 0;
      const y = (1 - Math.min(1, Math.max(0, share))) * height;
      return [`${round2(x)},${round2(y)}`];
    })
    .join(' ');
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
