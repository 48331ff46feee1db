function formatPrice(cents) {
  return (cents / 100).toFixed(2) + ' EUR';
}

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

module.exports = { formatPrice, escapeHtml };
