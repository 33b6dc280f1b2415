// The date ranges people pick, and the orders inside one.
export const RANGES = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
];

const DAY_MS = 24 * 60 * 60 * 1000;

export function inRange(orders, days, today = new Date()) {
  if (!RANGES.some((range) => range.days === days)) throw new Error(`no range of ${days} days`);
  const since = today.getTime() - days * DAY_MS;
  return orders.filter((order) => {
    const placed = Date.parse(order.placedAt);
    return placed > since && placed <= today.getTime();
  });
}
