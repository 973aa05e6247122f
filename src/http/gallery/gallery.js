// The gallery's few lines of behaviour: copy buttons on the markup, and the tally of the
// thumbnails view (a refused tile fails to load; "ask again" sets its URL anew).
'use strict';

for (const button of document.querySelectorAll('button.copy')) {
  button.addEventListener('click', async () => {
    const code = button.parentElement.nextElementSibling.textContent;
    try {
      await navigator.clipboard.writeText(code);
      button.textContent = 'copied';
    } catch {
      button.textContent = 'select and copy';
    }
  });
}

const tally = document.getElementById('tally');
if (tally) {
  const tiles = [...document.querySelectorAll('.mosaic img')];
  const count = () => {
    const loaded = tiles.filter((t) => t.complete && t.naturalWidth > 0).length;
    const refused = tiles.filter((t) => t.classList.contains('refused')).length;
    tally.textContent = `${loaded} loaded · ${refused} refused · ${tiles.length - loaded - refused} waiting`;
  };
  for (const tile of tiles) {
    tile.addEventListener('load', () => { tile.classList.remove('refused'); count(); });
    tile.addEventListener('error', () => { tile.classList.add('refused'); count(); });
  }
  document.getElementById('retry').addEventListener('click', () => {
    for (const tile of tiles.filter((t) => t.classList.contains('refused'))) {
      tile.classList.remove('refused');
      const url = tile.src;
      tile.removeAttribute('src');
      tile.src = url;
    }
    count();
  });
  count();
}
