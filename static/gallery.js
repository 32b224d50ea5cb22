// Gallerist admin UI: the gallery editor and the library picker. Drag and
// drop (SortableJS, with our own autoscroll), keyboard reorder, the move
// buttons and "Move to position…", compact tiles, files dropped at a place
// in the gallery, and the picker's ordered multi-select; on top of app.js
// (window.Gallerist).
(function () {
  'use strict'
  var G = window.Gallerist
  if (!G) return
  var $ = G.$; var $$ = G.$$; var el = G.el; var announce = G.announce; var showToast = G.showToast
  var csrfToken = G.csrfToken; var reducedMotion = G.reducedMotion

  // ---- Gallery editor: drag and drop (SortableJS), keyboard reorder, move
  // buttons. Each change posts the full new order with the gallery version;
  // a stale version gets "This gallery changed in another tab: Reload".
  function galleryTiles (list) { return $$(':scope > [data-image-id]', list) }

  // galleryCount is views' GalleryEditor.Count: "3 images", "2 images, 1 video".
  function plural (n, one, many) { return n + ' ' + (n === 1 ? one : many) }
  function galleryCount (images, videos) {
    if (!videos) return plural(images, 'image', 'images')
    if (!images) return plural(videos, 'video', 'videos')
    return plural(images, 'image', 'images') + ', ' + plural(videos, 'video', 'videos')
  }

  // renumber puts badges, labels and position numbers right after a change:
  // once per change (a drop, a saved move), never per pointer move, and it
  // writes only what changed (a write costs a style recalculation).
  function renumber (list) {
    var tiles = galleryTiles(list)
    tiles.forEach(function (t, i) {
      var badge = $('[data-featured-badge]', t)
      if (badge && badge.hidden !== (i !== 0)) badge.hidden = i !== 0
      var num = $('[data-position]', t)
      if (num && num.textContent !== String(i + 1)) num.textContent = String(i + 1)
      var label = 'Image ' + (i + 1) + ' of ' + tiles.length + ': ' + (t.getAttribute('data-filename') || '')
      if (t.getAttribute('aria-label') !== label) t.setAttribute('aria-label', label)
    })
    var count = $('[data-gallery-count]')
    if (count) {
      var videos = tiles.filter(function (t) { return t.getAttribute('data-kind') === 'video' }).length
      var text = galleryCount(tiles.length - videos, videos)
      if (count.textContent !== text) count.textContent = text
    }
    var empty = $('#gallery-empty')
    if (empty && tiles.length) empty.hidden = true
  }

  function currentOrder (list) { return galleryTiles(list).map(function (t) { return t.getAttribute('data-image-id') }) }

  // keepAddTileLast puts the "Add images" tile back at the end.
  function keepAddTileLast (list) {
    var add = $(':scope > [data-add-tile]', list)
    if (add && add.nextElementSibling) list.appendChild(add)
  }

  function restoreOrder (list, ids) {
    ids.forEach(function (id) {
      var t = $('#image-' + id)
      if (t) list.appendChild(t)
    })
    keepAddTileLast(list)
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
      G.offline(true)
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

  // positionMessage names the image by its file, not only by a number that
  // just changed, and says when it became the featured one.
  function positionMessage (list, tile, fromIndex) {
    var tiles = galleryTiles(list)
    var to = tiles.indexOf(tile)
    var name = tile.getAttribute('data-filename') || 'Image ' + (fromIndex + 1)
    var msg = name + ' moved from position ' + (fromIndex + 1) + ' to ' + (to + 1) + ' of ' + tiles.length + '.'
    if (to === 0) msg += ' It is now the featured image.'
    else if (fromIndex === 0 && tiles[0]) msg += ' ' + (tiles[0].getAttribute('data-filename') || 'The first image') + ' is now the featured image.'
    return msg
  }

  // The variants' image menus list the gallery in order, numbered: keep them
  // so after a reorder (they were stale until a reload).
  function renumberVariantMenus (list) {
    var tiles = galleryTiles(list)
    $$('select[name=image_id]').forEach(function (sel) {
      tiles.forEach(function (t, i) {
        var o = $('option[value="' + t.getAttribute('data-image-id') + '"]', sel)
        if (!o) return
        o.textContent = (i + 1) + ' · ' + (t.getAttribute('data-filename') || '')
        sel.appendChild(o) // in gallery order, after "No image"
      })
    })
  }
  document.addEventListener('gallerist:reordered', function (e) {
    var list = e.target.closest && e.target.closest('[data-gallery]')
    if (list) renumberVariantMenus(list)
  })

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
      var from = lifted.from
      lifted = null
      tile.focus()
      // Named by where it started (and is again), not where it was moved to.
      announce('Reorder cancelled. Image ' + (from + 1) + ' is back at position ' + (galleryTiles(list).indexOf(tile) + 1) + '.')
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

  // Enter in a tile's alt text saves it (app.js submits the form) and goes
  // on to the next tile's, as the bulk editor's fields do: one key instead
  // of three Tabs (tile, menu, field).
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return
    var form = e.target.closest && e.target.closest('form[data-gallery-alt]')
    var tile = form && form.closest('[data-image-id]')
    if (!tile) return
    var next = tile.nextElementSibling
    while (next && !next.hasAttribute('data-image-id')) next = next.nextElementSibling
    var field = next && $('form[data-gallery-alt] textarea', next)
    if (field) field.focus()
  })

  // Move buttons and "Move to position…" (the tile menu) do the same without
  // a page load; without JavaScript they are forms the server answers.
  document.addEventListener('submit', function (e) {
    var form = e.target
    if (!form.hasAttribute || !form.hasAttribute('data-move-form')) return
    var move = e.submitter && e.submitter.value
    if (!move && form.hasAttribute('data-move-to')) move = 'position'
    if (!move) return
    var tile = form.closest('[data-image-id]')
    var list = tile && tile.parentNode
    if (!list || !list.hasAttribute('data-gallery')) return
    e.preventDefault()
    var tiles = galleryTiles(list)
    var i = tiles.indexOf(tile)
    var to = { start: 0, earlier: i - 1, later: i + 1, end: tiles.length - 1 }[move]
    if (move === 'position') {
      var n = parseInt(form.elements.position.value, 10)
      if (isNaN(n)) { form.elements.position.focus(); return }
      to = n - 1
    }
    var before = currentOrder(list)
    var menu = form.closest('details'); if (menu) menu.open = false
    if (!moveTile(list, tile, to)) { tile.focus(); announce('Image ' + (i + 1) + ' is already at position ' + (i + 1) + '.'); return }
    saveOrder(list, before, positionMessage(list, tile, i))
    tile.focus()
  })

  // A tile menu opening: fill "Move to position…" with the tile's place and
  // the gallery's size (uploads and moves change both), keep the menu on
  // screen, and close any other open menu.
  document.addEventListener('toggle', function (e) {
    var d = e.target
    if (!d.matches || !d.matches('[data-tile-menu]') || !d.open) return
    $$('[data-tile-menu][open]').forEach(function (o) { if (o !== d) o.open = false })
    var tile = d.closest('[data-image-id]')
    var list = tile && tile.parentNode
    if (list && list.hasAttribute('data-gallery')) {
      var tiles = galleryTiles(list)
      var input = $('[data-move-to] input[name=position]', d)
      if (input) { input.max = String(tiles.length); input.value = String(tiles.indexOf(tile) + 1) }
      var max = $('[data-move-max]', d)
      if (max) max.textContent = String(tiles.length)
    }
    var panel = $('[data-menu-panel]', d)
    if (!panel) return
    panel.style.left = ''; panel.style.right = ''
    var r = panel.getBoundingClientRect()
    if (r.right > document.documentElement.clientWidth - 8) { panel.style.left = 'auto'; panel.style.right = '0' }
  }, true)
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return
    var d = e.target.closest && e.target.closest('[data-tile-menu][open]')
    if (!d) return
    e.preventDefault(); e.stopPropagation()
    d.open = false
    var s = $('summary', d); if (s) s.focus()
  }, true)

  G.saveGalleryOrder = function (list, message) { return saveOrder(list, currentOrder(list), message) }

  // ---- Autoscroll while dragging a tile: the nearer the pointer is to the
  // top or bottom of the window (or past it), the faster the page scrolls,
  // up to ~4000 px/s, so a tile crosses a 250-image gallery in seconds. One
  // requestAnimationFrame loop per drag; pointer events only store the y.
  var scroller = { on: false, y: -1, raf: 0, last: 0, rest: 0, fastAt: 0 }
  function trackPointer (e) { if (e.clientX || e.clientY) scroller.y = e.clientY }
  function edgeVelocity (y, h) {
    if (y < 0) return 0
    var zone = Math.max(48, Math.min(160, h * 0.18))
    var d = 0
    if (y < zone) d = -(zone - y) / zone
    else if (y > h - zone) d = (y - (h - zone)) / zone
    if (!d) return 0
    var f = Math.min(1, Math.abs(d))
    return (d < 0 ? -1 : 1) * (120 + 3880 * f * f)
  }
  function autoScrollFrame (now) {
    if (!scroller.on) return
    var dt = scroller.last ? Math.min(100, now - scroller.last) : 16
    scroller.last = now
    var px = edgeVelocity(scroller.y, window.innerHeight) * dt / 1000 + scroller.rest
    var step = px < 0 ? Math.ceil(px) : Math.floor(px)
    scroller.rest = px - step
    if (step) {
      var y0 = window.scrollY
      window.scrollBy(0, step)
      if (window.scrollY !== y0 && Math.abs(step) * 1000 / dt > 600) scroller.fastAt = now
    }
    scroller.raf = window.requestAnimationFrame(autoScrollFrame)
  }
  function autoScrollStart () {
    if (scroller.on) return
    scroller.on = true; scroller.y = -1; scroller.last = 0; scroller.rest = 0; scroller.fastAt = 0
    document.addEventListener('dragover', trackPointer, true)
    document.addEventListener('drag', trackPointer, true)
    document.addEventListener('pointermove', trackPointer, true)
    scroller.raf = window.requestAnimationFrame(autoScrollFrame)
  }
  function autoScrollStop () {
    if (!scroller.on) return
    scroller.on = false
    window.cancelAnimationFrame(scroller.raf)
    document.removeEventListener('dragover', trackPointer, true)
    document.removeEventListener('drag', trackPointer, true)
    document.removeEventListener('pointermove', trackPointer, true)
  }
  document.addEventListener('dragend', autoScrollStop, true)
  document.addEventListener('drop', autoScrollStop, true)

  var sorting = false
  function initSortable (list) {
    if (!window.Sortable || list._sortable || window.Sortable.get(list)) return
    var before = null
    list._sortable = window.Sortable.create(list, {
      draggable: '[data-image-id]',
      filter: 'textarea, input, button, select, summary, a, [data-add-tile]',
      preventOnFilter: false,
      animation: reducedMotion ? 0 : 150,
      delay: 150,
      delayOnTouchOnly: true,
      // Sortable's own autoscroll leaves the window to the browser's slow
      // native one during a native drag; ours (above) replaces both.
      scroll: false,
      ghostClass: 'sortable-ghost',
      chosenClass: 'sortable-chosen',
      // While the page flies past under a held pointer, tiles stay put (no
      // layout per frame); they follow the pointer again once it slows or stops.
      onMove: function () { return !(scroller.on && window.performance.now() - scroller.fastAt < 120) },
      onStart: function () {
        sorting = true
        before = currentOrder(list)
        // Animating every shifted tile costs a layout each: not for big galleries.
        list._sortable.option('animation', reducedMotion || before.length > 60 ? 0 : 150)
        autoScrollStart()
      },
      onEnd: function (evt) {
        sorting = false
        autoScrollStop()
        keepAddTileLast(list)
        var tiles = galleryTiles(list)
        var to = tiles.indexOf(evt.item)
        if (!before || to < 0 || currentOrder(list).join() === before.join()) { before = null; return }
        var from = before.indexOf(evt.item.getAttribute('data-image-id'))
        saveOrder(list, before, positionMessage(list, evt.item, from))
        before = null
      }
    })
  }

  // ---- Density: large tiles, or compact ones (many per row) for arranging
  // big galleries. The choice is kept in this browser.
  var densityKey = 'gallerist:gallery-density'
  function savedDensity () {
    try { return window.localStorage.getItem(densityKey) === 'compact' ? 'compact' : 'comfortable' } catch (e) { return 'comfortable' }
  }
  function applyDensity (root, density) {
    var editor = root && root.id === 'gallery-editor' ? root : $('#gallery-editor', root && root.querySelector ? root : document)
    if (!editor) return
    editor.setAttribute('data-density', density || savedDensity())
    $$('[data-density-toggle]', editor).forEach(function (g) {
      g.hidden = false
      $$('[data-density-set]', g).forEach(function (b) {
        b.setAttribute('aria-pressed', String(b.getAttribute('data-density-set') === editor.getAttribute('data-density')))
      })
    })
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-density-set]')
    if (!b) return
    var d = b.getAttribute('data-density-set') === 'compact' ? 'compact' : 'comfortable'
    try { window.localStorage.setItem(densityKey, d) } catch (err) {}
    applyDensity(b.closest('#gallery-editor'), d)
    announce(d === 'compact' ? 'Compact tiles: more images per row.' : 'Large tiles.')
  })
  // Before htmx settles a boosted page, so it is laid out once, in the saved density.
  document.addEventListener('htmx:afterSwap', function () { applyDensity(document) })

  // ---- "Show as square crops": tiles cut as the storefront's 1:1 crop
  // (object-position from the focal point, set on each tile by the
  // server). The choice is kept in this browser.
  var cropsKey = 'gallerist:gallery-crops'
  function applyCrops (root) {
    var editor = root && root.id === 'gallery-editor' ? root : $('#gallery-editor', root && root.querySelector ? root : document)
    if (!editor) return
    var on = false
    try { on = window.localStorage.getItem(cropsKey) === 'square' } catch (e) {}
    if (on) editor.setAttribute('data-crops', 'square')
    else editor.removeAttribute('data-crops')
    $$('[data-crops-toggle]', editor).forEach(function (b) { b.setAttribute('aria-pressed', String(on)) })
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-crops-toggle]')
    if (!b) return
    var on = b.getAttribute('aria-pressed') !== 'true'
    try { window.localStorage.setItem(cropsKey, on ? 'square' : 'full') } catch (err) {}
    applyCrops(b.closest('#gallery-editor'))
    announce(on ? 'Tiles show the square crops the storefront gets.' : 'Tiles show whole images.')
  })
  document.addEventListener('htmx:afterSwap', function () { applyCrops(document) })

  // ---- Files dropped on the gallery go where they were dropped: before the
  // tile under the pointer (after it, on its right half). app.js asks here.
  function dropBefore (x, y) {
    var list = $('#gallery[data-sortable]')
    if (!list) return null
    var hit = null
    var tries = [[0, 0], [-14, 0], [14, 0], [0, -14], [0, 14]]
    for (var k = 0; k < tries.length && !hit; k++) {
      var at = document.elementFromPoint(x + tries[k][0], y + tries[k][1])
      hit = at && at.closest && at.closest('#gallery > li')
    }
    if (!hit) return null
    if (hit.hasAttribute('data-add-tile')) return hit
    var r = hit.getBoundingClientRect()
    return x < r.left + r.width / 2 ? hit : hit.nextElementSibling
  }
  G.galleryDropBefore = function (e) { return e && (e.clientX || e.clientY) ? dropBefore(e.clientX, e.clientY) : null }

  // The marker is one bar, placed in the gap before that tile: O(1) per dragover.
  var marked = null
  function markDrop (t) {
    if (marked === t) return
    if (marked) marked.removeAttribute('data-drop-before')
    marked = t
    var bar = $('#gallery-drop-marker')
    if (!bar) return
    if (!t) { bar.hidden = true; return }
    t.setAttribute('data-drop-before', '')
    var box = bar.offsetParent || bar.parentNode
    var r = t.getBoundingClientRect(); var b = box.getBoundingClientRect()
    var gap = parseFloat(window.getComputedStyle(t.parentNode).columnGap) || 16
    bar.style.left = Math.round(r.left - b.left - gap / 2 - 2) + 'px'
    bar.style.top = Math.round(r.top - b.top) + 'px'
    bar.style.height = Math.round(r.height) + 'px'
    bar.hidden = false
  }
  function carriesFiles (e) { return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], 'Files') >= 0 }
  document.addEventListener('dragover', function (e) {
    if (sorting || !carriesFiles(e)) return
    var list = $('#gallery[data-sortable]')
    if (!list || !list.closest('[data-upload-url]')) return
    markDrop(G.galleryDropBefore(e) || $(':scope > [data-add-tile]', list))
  })
  document.addEventListener('dragleave', function (e) { if (!e.relatedTarget) markDrop(null) })
  document.addEventListener('drop', function () { markDrop(null) })
  document.addEventListener('dragend', function () { markDrop(null) })

  // ---- The library picker: ticks are kept across searches and pages, in
  // the order they were made, as hidden media_id fields (the checkboxes lose
  // their names), numbered on the tiles and listed under the grid.
  function pickerForm (root) {
    if (!root || !root.querySelector) return null
    return (root.closest && root.closest('form[data-picker-form]')) || $('form[data-picker-form]', root)
  }
  function picks (form) { return $$('[data-picker-selection] > input', form) }
  function addPick (form, id, name) {
    var sel = $('[data-picker-selection]', form)
    if (!sel || $('input[value="' + id + '"]', sel)) return
    sel.appendChild(el('input', { type: 'hidden', name: 'media_id', value: id, 'data-filename': name || '' }))
  }
  function removePick (form, id) {
    picks(form).forEach(function (p) { if (p.value === id) p.remove() })
  }
  function syncPicker (form, message) {
    var order = {}
    var list = picks(form)
    list.forEach(function (p, i) { order[p.value] = i + 1 })
    $$('input[type=checkbox][data-pick]', form).forEach(function (cb) {
      var n = order[cb.value]
      cb.checked = !!n
      var badge = cb.parentNode && $('[data-pick-number]', cb.parentNode)
      if (badge) { badge.hidden = !n; badge.textContent = n ? String(n) : '' }
    })
    var summary = $('[data-picker-summary]', form)
    if (summary) summary.hidden = false
    var count = $('[data-picker-count]', form)
    if (count) count.textContent = list.length ? list.length + ' selected' : 'None selected'
    var clear = $('[data-picker-clear]', form)
    if (clear) clear.hidden = !list.length
    var chosen = $('[data-picker-chosen]', form)
    if (chosen) {
      chosen.innerHTML = ''
      list.forEach(function (p, i) {
        var name = p.getAttribute('data-filename') || ('Image ' + p.value)
        chosen.appendChild(el('li', { class: 'inline-flex max-w-[12rem] items-center gap-1 rounded-full bg-accent-50 py-0.5 pl-1 pr-0.5 text-xs text-accent-900 ring-1 ring-inset ring-accent-200' }, [
          el('span', { class: 'flex h-4 min-w-[1rem] items-center justify-center rounded-full bg-accent-600 px-1 text-[10px] font-semibold text-white', text: String(i + 1) }),
          el('span', { class: 'truncate', text: name, title: name }),
          el('button', { type: 'button', class: 'rounded-full px-1 text-accent-800 hover:bg-accent-100', 'data-unpick': p.value, 'aria-label': 'Remove ' + name + ' from the selection', text: '×' })
        ]))
      })
    }
    var status = $('[data-picker-status]', form)
    if (status && message) status.textContent = message + ' ' + (list.length ? list.length + ' selected.' : 'None selected.')
  }
  function initPicker (root) {
    var form = pickerForm(root)
    if (!form) return
    // First sight of these checkboxes: adopt any already ticked (in grid
    // order), then let the hidden fields alone carry the selection.
    $$('input[type=checkbox][data-pick][name]', form).forEach(function (cb) {
      if (cb.checked) addPick(form, cb.value, cb.getAttribute('data-filename'))
      cb.removeAttribute('name')
    })
    syncPicker(form, '')
  }
  // A new page of results replaced the focused link: keep focus in the dialog.
  document.addEventListener('htmx:afterSwap', function (e) {
    var target = e.detail && e.detail.target
    if (!target || target.id !== 'picker-results') return
    var a = document.activeElement
    if (!a || a === document.body || !document.contains(a)) target.focus()
  })
  document.addEventListener('change', function (e) {
    var cb = e.target
    if (!cb.matches || !cb.matches('input[type=checkbox][data-pick]')) return
    var form = pickerForm(cb)
    if (!form) return
    var name = cb.getAttribute('data-filename') || ''
    if (cb.checked) addPick(form, cb.value, name)
    else removePick(form, cb.value)
    var n = picks(form).map(function (p) { return p.value }).indexOf(cb.value) + 1
    syncPicker(form, cb.checked ? name + ' selected, number ' + n + '.' : name + ' no longer selected.')
  })
  document.addEventListener('click', function (e) {
    var t = e.target
    if (!t.closest) return
    var un = t.closest('[data-unpick]')
    var clear = t.closest('[data-picker-clear]')
    if (!un && !clear) return
    var form = pickerForm(t)
    if (!form) return
    e.preventDefault()
    if (clear) {
      picks(form).forEach(function (p) { p.remove() })
      syncPicker(form, 'Selection cleared.')
      var q = $('#picker-q'); if (q) q.focus()
      return
    }
    var id = un.getAttribute('data-unpick')
    var li = un.closest('li')
    var next = li && (li.nextElementSibling || li.previousElementSibling)
    var nextID = next && $('[data-unpick]', next) && $('[data-unpick]', next).getAttribute('data-unpick')
    var name = (picks(form).filter(function (p) { return p.value === id })[0] || { getAttribute: function () { return '' } }).getAttribute('data-filename')
    removePick(form, id)
    syncPicker(form, name + ' no longer selected.')
    var focus = nextID && $('[data-unpick="' + nextID + '"]', form)
    if (focus) focus.focus()
    else if ($('[data-picker-clear]', form)) $('#picker-results', form).focus()
  })

  // ---- Videos in the gallery play inline, muted, over their poster: while
  // the pointer is on the tile (unless reduced motion is asked for), or
  // toggled with the tile's Play button. The file loads on first play.
  function tileVideo (tile) { return tile && $('[data-tile-video]', tile) }
  function playVideo (v, on) {
    var btn = $('[data-play-video]', v.parentNode)
    if (on) {
      if (!v.getAttribute('src')) v.setAttribute('src', v.getAttribute('data-src'))
      v.muted = true
      v.hidden = false
      var p = v.play()
      if (p && p.catch) p.catch(function () {})
    } else {
      v.pause()
      v.hidden = true
    }
    if (btn) {
      btn.setAttribute('aria-pressed', on ? 'true' : 'false')
      $('[data-play-label]', btn).textContent = on ? 'Pause' : 'Play'
    }
  }
  document.addEventListener('pointerenter', function (e) {
    if (reducedMotion || e.pointerType === 'touch' || !e.target.closest || document.querySelector('.sortable-chosen')) return
    var tile = e.target.matches && e.target.matches('.gallery-tile') ? e.target : null
    var v = tileVideo(tile)
    if (v && v.hidden) { v.setAttribute('data-hover', ''); playVideo(v, true) }
  }, true)
  document.addEventListener('pointerleave', function (e) {
    var tile = e.target.matches && e.target.matches('.gallery-tile') ? e.target : null
    var v = tileVideo(tile)
    if (v && v.hasAttribute('data-hover')) { v.removeAttribute('data-hover'); playVideo(v, false) }
  }, true)
  document.addEventListener('click', function (e) {
    var btn = e.target.closest && e.target.closest('[data-play-video]')
    if (!btn) return
    e.preventDefault()
    var v = tileVideo(btn.closest('.gallery-tile'))
    if (!v) return
    // Playing because the pointer is on it: the click keeps it playing after the pointer leaves.
    if (v.hasAttribute('data-hover')) { v.removeAttribute('data-hover'); playVideo(v, true); return }
    playVideo(v, v.hidden)
  })

  G.onLoad(function (root) {
    applyDensity(root)
    applyCrops(root)
    $$('[data-sortable]', root).forEach(initSortable)
    initPicker(root)
  })
  document.addEventListener('gallerist:uploaded', function (e) {
    var list = e.target.closest && e.target.closest('[data-gallery]')
    if (list) renumber(list)
  })
})()
