import React from 'react';
import { summarize } from './metrics.js';

export default function App({ orders }) {
  const figures = summarize(orders);
  return (
    <main>
      <h1>Orders</h1>
      <section aria-label="Metrics">
        <p>Orders: {figures.count}</p>
        <p>Revenue: {figures.revenue}</p>
        <p>Average order: {figures.average}</p>
      </section>
      <table>
        <thead>
          <tr><th>Customer</th><th>Total</th><th>Placed</th></tr>
        </thead>
        <tbody>
          {orders.map((order) => (
            <tr key={order.id}><td>{order.customer}</td><td>{order.total}</td><td>{order.placedAt}</td></tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
