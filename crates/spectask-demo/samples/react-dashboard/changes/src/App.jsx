import React, { useState } from 'react';
import { summarize } from './metrics.js';
import { inRange } from './dateRange.js';
import RangePicker from './RangePicker.jsx';

export default function App({ orders, today = new Date() }) {
  const [days, setDays] = useState(30);
  const shown = inRange(orders, days, today);
  const figures = summarize(shown);
  return (
    <main>
      <h1>Orders</h1>
      <RangePicker days={days} onChange={setDays} />
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
          {shown.map((order) => (
            <tr key={order.id}><td>{order.customer}</td><td>{order.total}</td><td>{order.placedAt}</td></tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
