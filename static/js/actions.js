// Page actions without inline handlers (the Content-Security-Policy allows no inline script):
// <button data-print> prints the page; <form data-confirm="..."> asks before it is sent.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
