// Sample orders (a real dashboard would fetch them).
export const orders = [
  { id: 1, customer: 'Acme', total: 120, placedAt: '2024-05-02' },
  { id: 2, customer: 'Globex', total: 80, placedAt: '2024-05-20' },
  { id: 3, customer: 'Initech', total: 310, placedAt: '2024-06-11' },
  { id: 4, customer: 'Umbrella', total: 45, placedAt: '2024-06-28' },
];
