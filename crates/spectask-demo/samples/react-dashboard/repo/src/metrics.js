// The dashboard's figures, computed from orders.
export function summarize(orders) {
  const revenue = orders.reduce((sum, order) => sum + order.total, 0);
  return {
    count: orders.length,
    revenue,
    average: orders.length === 0 ? 0 : Math.round((revenue / orders.length) * 100) / 100,
  };
}
