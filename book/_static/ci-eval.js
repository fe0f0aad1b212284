/* State of Mentoring: at desktop width a table wider than the text (html_table marks its
   figure "ci-wide") also takes the right-hand column, where the page's contents are; fold
   the contents to their title while such a table is on screen, as sphinx-book-theme does
   for its own full-width content. Pages without that column are left as they are. */
document.addEventListener("DOMContentLoaded", () => {
  const contents = document.querySelector("div.bd-sidebar-secondary");
  const wide = document.querySelectorAll("figure.ci-wide");
  if (!contents || !wide.length || !("IntersectionObserver" in window)) return;
  const shown = new Set();
  const observer = new IntersectionObserver(
    (entries) => {
      entries.forEach((e) => (e.isIntersecting ? shown.add(e.target) : shown.delete(e.target)));
      contents.classList.toggle("hide", shown.size > 0);
    },
    { rootMargin: "0px 0px -33% 0px" },
  );
  wide.forEach((figure) => observer.observe(figure));
});
