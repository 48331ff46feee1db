const express = require('express');
const app = express();

app.get('/search', (req, res) => {
  const q = req.query.q || '';
  res.send('<h1>Results for ' + q + '</h1>');
});

app.get('/calc', (req, res) => {
  const expr = req.query.expr;
  const value = eval(expr);
  res.json({ value });
});

app.get('/login/done', (req, res) => {
  res.redirect(req.query.next);
});

app.get('/health', (req, res) => {
  res.json({ ok: true });
});

module.exports = app;
