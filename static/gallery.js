// Gallerist admin UI: the gallery editor. Drag and drop (SortableJS), keyboard
// reorder and the move buttons, on top of app.js (window.Gallerist).
(function () {
  'use strict'
  var G = window.Gallerist
  if (!G) return
  var $ = G.$; var $$ = G.$$; var announce = G.announce; var showToast = G.showToast
  var csrfToken = G.csrfToken; var reducedMotion = G.reducedMotion

  // ---- Gallery editor: drag and drop (SortableJS), keyboard reorder, move
  // buttons. Each change posts the full new order with the gallery version;
  // a stale version gets "This gallery changed in another tab: Reload".
  function galleryTiles (list) { return $$(':scope > [data-image-id]', list) }

  function renumber (list) {
    var tiles = galleryTiles(list)
    tiles.forEach(function (t, i) {
      var badge = $('[data-featured-badge]', t)
      if (badge) badge.hidden = i !== 0
      t.setAttribute('aria-label', 'Image ' + (i + 1) + ' of ' + tiles.length + ': ' + (t.getAttribute('data-filename') || ''))
    })
    var count = $('[data-gallery-count]')
    if (count) count.textContent = tiles.length + (tiles.length === 1 ? ' image' : ' images')
    var empty = $('#gallery-empty')
    if (empty && tiles.length) empty.hidden = true
  }

  function currentOrder (list) { return galleryTiles(list).map(function (t) { return t.getAttribute('data-image-id') }) }

  function restoreOrder (list, ids) {
    ids.forEach(function (id) {
      var t = $('#image-' + id)
      if (t) list.appendChild(t)
    })
    renumber(list)
  }

  // saveOrder posts the order now in the DOM; on failure it puts back `before`.
  function saveOrder (list, before, message) {
    var ids = currentOrder(list)
    renumber(list)
    var body = new URLSearchParams()
    body.set('ids', ids.join(','))
    body.set('version', list.getAttribute('data-version') || '')
    list.setAttribute('aria-busy', 'true')
    return fetch(list.getAttribute('data-reorder-url'), {
      method: 'POST',
      headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      credentials: 'same-origin'
    }).then(function (res) {
      return res.json().catch(function () { return {} }).then(function (j) { return { ok: res.ok, status: res.status, body: j } })
    }).then(function (r) {
      list.removeAttribute('aria-busy')
      if (r.ok) {
        list.setAttribute('data-version', String(r.body.version))
        list.dispatchEvent(new CustomEvent('gallerist:reordered', { bubbles: true, detail: { ids: ids, version: r.body.version } }))
        if (message) announce(message)
        return true
      }
      restoreOrder(list, before)
      if (r.status === 412) {
        var banner = $('#gallery-conflict')
        if (banner) { banner.hidden = false; var a = $('a', banner); if (a) a.focus() }
        announce('This gallery changed in another tab. Reload to see the current order.')
      } else {
        showToast({ message: (r.body.error && r.body.error.message) || 'The new order could not be saved. Try again.', kind: 'error' })
      }
      return false
    }, function () {
      list.removeAttribute('aria-busy')
      restoreOrder(list, before)
      var o = $('#offline'); if (o) o.hidden = false
      return false
    })
  }

  function moveTile (list, tile, to) {
    var tiles = galleryTiles(list)
    var from = tiles.indexOf(tile)
    to = Math.max(0, Math.min(tiles.length - 1, to))
    if (to === from) return false
    var ref = to > from ? tiles[to].nextSibling : tiles[to]
    list.insertBefore(tile, ref)
    return true
  }

  function positionMessage (list, tile, fromIndex) {
    var tiles = galleryTiles(list)
    return 'Image ' + (fromIndex + 1) + ' of ' + tiles.length + ' moved to position ' + (tiles.indexOf(tile) + 1)
  }

  // Keyboard: Space lifts the focused tile, arrows move it, Space drops, Esc cancels.
  var lifted = null
  document.addEventListener('keydown', function (e) {
    var tile = e.target
    if (!tile.matches || !tile.matches('[data-sortable] > [data-image-id]')) return
    var list = tile.parentNode
    var tiles = galleryTiles(list)
    var i = tiles.indexOf(tile)
    var cols = Math.max(1, Math.round(list.clientWidth / Math.max(1, tile.offsetWidth)))
    if (e.key === ' ' || e.key === 'Spacebar' || e.key === 'Enter') {
      e.preventDefault()
      if (!lifted) {
        lifted = { tile: tile, before: currentOrder(list), from: i }
        tile.classList.add('is-lifted')
        tile.setAttribute('aria-grabbed', 'true')
        announce('Image ' + (i + 1) + ' of ' + tiles.length + ' lifted. Use the arrow keys to move it, Space to drop it, Escape to cancel.')
      } else if (lifted.tile === tile) {
        var l = lifted
        lifted = null
        tile.classList.remove('is-lifted')
        tile.setAttribute('aria-grabbed', 'false')
        if (currentOrder(list).join() === l.before.join()) { announce('Image ' + (l.from + 1) + ' dropped where it was.'); return }
        saveOrder(list, l.before, positionMessage(list, tile, l.from))
        tile.focus()
      }
      return
    }
    if (e.key === 'Escape' && lifted && lifted.tile === tile) {
      e.preventDefault()
      restoreOrder(list, lifted.before)
      tile.classList.remove('is-lifted')
      tile.setAttribute('aria-grabbed', 'false')
      lifted = null
      tile.focus()
      announce('Reorder cancelled. Image ' + (i + 1) + ' is back at position ' + (galleryTiles(list).indexOf(tile) + 1) + '.')
      return
    }
    var delta = { ArrowLeft: -1, ArrowUp: -cols, ArrowRight: 1, ArrowDown: cols, Home: -tiles.length, End: tiles.length }[e.key]
    if (delta === undefined) return
    e.preventDefault()
    if (lifted && lifted.tile === tile) {
      if (moveTile(list, tile, i + delta)) {
        tile.focus()
        renumber(list)
        announce('Position ' + (galleryTiles(list).indexOf(tile) + 1) + ' of ' + tiles.length)
      }
    } else {
      var next = tiles[Math.max(0, Math.min(tiles.length - 1, i + delta))]
      if (next) next.focus()
    }
  })

  // Move buttons (the tile menu) do the same without a page load.
  document.addEventListener('submit', function (e) {
    var form = e.target
    if (!form.hasAttribute || !form.hasAttribute('data-move-form')) return
    var move = e.submitter && e.submitter.value
    if (!move) return
    var tile = form.closest('[data-image-id]')
    var list = tile && tile.parentNode
    if (!list || !list.hasAttribute('data-gallery')) return
    e.preventDefault()
    var tiles = galleryTiles(list)
    var i = tiles.indexOf(tile)
    var to = { start: 0, earlier: i - 1, later: i + 1, end: tiles.length - 1 }[move]
    var before = currentOrder(list)
    var menu = form.closest('details'); if (menu) menu.open = false
    if (!moveTile(list, tile, to)) return
    saveOrder(list, before, positionMessage(list, tile, i))
    tile.focus()
  })

  G.saveGalleryOrder = function (list, message) { return saveOrder(list, currentOrder(list), message) }

  G.onLoad(function (root) {
    $$('[data-sortable]', root).forEach(function (list) {
      if (!window.Sortable || list._sortable || window.Sortable.get(list)) return
      var before = null
      list._sortable = window.Sortable.create(list, {
        draggable: '[data-image-id]',
        filter: 'textarea, input, button, select, summary, a',
        preventOnFilter: false,
        animation: reducedMotion ? 0 : 150,
        delay: 150,
        delayOnTouchOnly: true,
        ghostClass: 'sortable-ghost',
        chosenClass: 'sortable-chosen',
        onStart: function () { before = currentOrder(list) },
        onEnd: function (evt) {
          if (evt.oldIndex === evt.newIndex || !before) return
          saveOrder(list, before, 'Image ' + (evt.oldIndex + 1) + ' of ' + galleryTiles(list).length + ' moved to position ' + (evt.newIndex + 1))
        }
      })
    })
  })
  document.addEventListener('gallerist:uploaded', function (e) {
    var list = e.target.closest && e.target.closest('[data-gallery]')
    if (list) renumber(list)
  })

})()
