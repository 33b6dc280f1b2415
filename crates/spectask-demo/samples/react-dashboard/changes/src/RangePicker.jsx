import React from 'react';
import { RANGES } from './dateRange.js';

// The date range buttons; the chosen one is pressed.
export default function RangePicker({ days, onChange }) {
  return (
    <div role="group" aria-label="Date range">
      {RANGES.map((range) => (
        <button key={range.days} type="button" aria-pressed={range.days === days} onClick={() => onChange(range.days)}>
          {range.label}
        </button>
      ))}
    </div>
  );
}
