// Gallerist admin UI: the small script on top of htmx. Everything here
// enhances a page that already works without it (forms and links).
(function () {
  'use strict'
  document.documentElement.classList.add('js')

  var $ = function (sel, root) { return (root || document).querySelector(sel) }
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)) }
  var reducedMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches

  // Gallerist is what the per-area scripts (library.js, gallery.js) share with
  // this one. Gallerist.onLoad(fn) runs fn(root) on the first page and on
  // every element htmx loads (boosted navigation, Back, swapped fragments).
  var G = window.Gallerist = { loaders: [], reducedMotion: reducedMotion }
  G.onLoad = function (fn) { G.loaders.push(fn); if (G.ready) fn(document) }

  // Leaving with edits that could not be saved (offline) asks first: links,
  // boosted or not, here before any other click handler; the panel's Close
  // in closePanel; reloads and closing the tab in beforeunload.
  var leaveMessage = 'Some changes could not be saved yet (no connection). Leave and lose them?'
  function unsavedForms () { return $$('form[data-unsaved]') }
  function mayLeave () { return !unsavedForms().length || window.confirm(leaveMessage) }
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[href]')
    if (!a || a.hasAttribute('download') || a.hasAttribute('data-panel-close') || a.closest('#media-panel form')) return
    if (!mayLeave()) { e.preventDefault(); e.stopImmediatePropagation() }
  }, true)

  // The token lives in #csrf-token inside <body> (boosted navigation swaps the
  // body's content, not its attributes); hx-headers on <body> follows it.
  function csrfToken () {
    var c = document.getElementById('csrf-token')
    if (c) return c.getAttribute('data-token') || ''
    try { return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '' } catch (e) { return '' }
  }
  function syncCSRF () {
    var t = csrfToken()
    if (t && document.body) document.body.setAttribute('hx-headers', JSON.stringify({ 'X-CSRF-Token': t }))
  }
  document.addEventListener('htmx:configRequest', function (e) {
    var t = csrfToken()
    if (t) e.detail.headers['X-CSRF-Token'] = t
  })

  function announce (text) {
    var live = $('#live')
    if (!live) return
    live.textContent = ''
    window.setTimeout(function () { live.textContent = text }, 30)
  }

  function el (tag, attrs, children) {
    var e = document.createElement(tag)
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]
      else if (k === 'class') e.className = attrs[k]
      else e.setAttribute(k, attrs[k])
    })
    ;(children || []).forEach(function (c) { if (c) e.appendChild(c) })
    return e
  }

  function humanBytes (n) {
    if (n < 1024) return n + ' bytes'
    var units = 'KMGTPE'; var i = -1
    do { n /= 1024; i++ } while (n >= 1024 && i < units.length - 1)
    return (Math.round(n * 10) / 10).toString().replace(/\.0$/, '') + ' ' + units[i] + 'B'
  }

  // ---- Toasts: bottom-centre, dismissed after ~6 s unless hovered or
  // focused. A toast with an action (Undo) stays until dismissed, and takes
  // the focus when it arrives with a page after a change: with the keyboard
  // it would otherwise be the last of a hundred Tab stops, and gone in 6 s.
  function armToast (t) {
    if (t.dataset.armed) return
    t.dataset.armed = '1'
    var action = $('form button[type=submit], a', t)
    if (action) {
      t.setAttribute('data-persistent', '')
      if (!$('dialog[open]') && !(document.activeElement && document.activeElement.closest && document.activeElement.closest('#media-panel, form[data-gallery-alt], [data-alt-editor]'))) action.focus({ preventScroll: true })
      return
    }
    var timer = null
    var start = function () { timer = window.setTimeout(function () { dismissToast(t) }, 6000) }
    var stop = function () { window.clearTimeout(timer) }
    t.addEventListener('mouseenter', stop); t.addEventListener('mouseleave', start)
    t.addEventListener('focusin', stop); t.addEventListener('focusout', start)
    start()
  }
  function dismissToast (t) { if (t && t.parentNode) t.parentNode.removeChild(t) }
  // placeToasts keeps toasts off the open detail panel's buttons (Download,
  // Copy link): beside the panel where there is room, above its footer on
  // a phone, where the panel takes the whole width.
  function placeToasts (region) {
    region.style.right = ''
    region.style.bottom = ''
    var panel = $('#media-panel')
    var foot = panel && $('[data-panel-footer]', panel)
    if (!foot) return
    var w = panel.getBoundingClientRect().width
    if (window.innerWidth - w >= 320) region.style.right = w + 'px'
    else region.style.bottom = (window.innerHeight - foot.getBoundingClientRect().top + 8) + 'px'
  }
  function showToast (opts) {
    var region = $('#toasts')
    if (!region) return
    var t = el('div', {
      class: 'toast pointer-events-auto flex w-full max-w-md items-center gap-3 rounded-lg px-4 py-3 text-sm shadow-lg ' +
        (opts.kind === 'error' ? 'bg-red-700 text-white' : 'bg-gray-900 text-white'),
      role: opts.kind === 'error' ? 'alert' : 'status',
      'data-toast': ''
    }, [el('p', { class: 'min-w-0 flex-1', text: opts.message })])
    if (opts.link && opts.link_url) {
      t.appendChild(el('a', { href: opts.link_url, class: 'rounded px-2 py-1 font-semibold text-accent-200 hover:underline', text: opts.link }))
    }
    var close = el('button', { type: 'button', class: 'rounded p-1 text-gray-300 hover:text-white', 'data-toast-close': '', 'aria-label': 'Dismiss', text: '×' })
    t.appendChild(close)
    placeToasts(region)
    region.appendChild(t)
    if (window.htmx) window.htmx.process(t)
    armToast(t)
  }
  window.galleristToast = showToast

  // ---- Dialogs: htmx loads a <dialog data-modal> into #dialog; it opens modal,
  // traps focus (the rest of the page is inert), and gives focus back on close.
  var opener = null
  function openDialogs (root) {
    $$('dialog[data-modal]', root).forEach(function (d) {
      if (d.open) return
      d.addEventListener('close', function () {
        if (d.parentNode) d.parentNode.removeChild(d)
        if (opener && document.contains(opener)) opener.focus()
        opener = null
      })
      d.showModal()
      var auto = $('[autofocus]', d)
      if (auto) auto.focus()
    })
  }

  // ---- The media detail panel.
  function closePanel (href) {
    var panel = $('#panel')
    if (!panel || !panel.firstElementChild) return false
    // Text typed and not saved yet (its field still had focus, or its save
    // is on its way): the panel closes once it is saved. If saving fails
    // (no connection) the panel stays open, saying "Not saved", and a
    // second Close asks first; "leave" then closes it.
    var dirty = $$('form[data-dirty]', panel)
    if (unsavedForms().length || (dirty.length && panel.hasAttribute('data-close-after-save'))) {
      if (!window.confirm(leaveMessage)) return true
      panel.removeAttribute('data-close-after-save')
    } else if (dirty.length) {
      panel.setAttribute('data-close-after-save', href || '')
      dirty.forEach(function (f) { if (!f.classList.contains('htmx-request')) f.requestSubmit() })
      return true
    }
    var aside = $('[data-panel]', panel)
    var id = aside && aside.getAttribute('data-media-id')
    panel.innerHTML = ''
    if (href) window.history.pushState({}, '', href)
    var tile = id && $('#media-' + id + ' a')
    if (tile) tile.focus()
    return true
  }

  // Cancel in a dialog and Close on the panel are links (they work without
  // JavaScript); with it they close in place. This listener runs in the
  // capture phase so htmx's boost does not follow the link first.
  document.addEventListener('click', function (e) {
    var t = e.target
    if (!t.closest) return
    var cancel = t.closest('[data-dialog-cancel]')
    if (cancel && cancel.closest('dialog')) {
      e.preventDefault(); e.stopPropagation()
      cancel.closest('dialog').close()
      return
    }
    var pc = t.closest('[data-panel-close]')
    if (pc && closePanel(pc.getAttribute('href'))) { e.preventDefault(); e.stopPropagation() }
  }, true)

  document.addEventListener('click', function (e) {
    var t = e.target
    var closeToast = t.closest('[data-toast-close]')
    if (closeToast) { dismissToast(closeToast.closest('[data-toast]')); return }
    if (t.closest('[data-panel-backdrop]')) {
      var link = $('[data-panel-close]')
      closePanel(link && link.getAttribute('href'))
      return
    }
    var copy = t.closest('[data-copy]')
    if (copy) { e.preventDefault(); copyText(copy.getAttribute('data-copy'), copy.getAttribute('data-copied') || 'Copied'); return }
    // Remember what opened a dialog so focus can go back to it.
    if (t.closest('[hx-target="#dialog"]')) opener = t.closest('a,button')
    // A confirm link where htmx does not run (inside hx-disable, like the
    // gallery's tile menus) opens its dialog the same way; without
    // JavaScript it is a page.
    var dl = t.closest('a[data-dialog]')
    if (dl && window.htmx) {
      e.preventDefault()
      opener = dl
      var menu = dl.closest('details'); if (menu) menu.open = false
      window.htmx.ajax('GET', dl.getAttribute('href'), { target: '#dialog', swap: 'innerHTML', source: dl })
    }
  })

  function copyText (text, done) {
    var ok = function () { showToast({ message: done }) }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(ok, function () { fallbackCopy(text) && ok() })
    } else if (fallbackCopy(text)) ok()
  }
  function fallbackCopy (text) {
    var ta = el('textarea', { class: 'sr-only', readonly: '' }); ta.value = text
    document.body.appendChild(ta); ta.select()
    var ok = false
    try { ok = document.execCommand('copy') } catch (e) {}
    document.body.removeChild(ta)
    return ok
  }

  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && !$('dialog[open]')) {
      var link = $('#panel [data-panel-close]')
      if (link) { e.preventDefault(); closePanel(link.getAttribute('href')) }
    }
    var t = e.target
    if (e.key === 'Enter' && !e.shiftKey && t.matches && t.matches('[data-submit-on-enter]')) {
      e.preventDefault()
      if (t.form) t.form.requestSubmit()
    }
  })

  document.addEventListener('focusin', function (e) {
    if (e.target.matches && e.target.matches('[data-select-on-focus]')) e.target.select()
  })

  // ---- Alt text counter: characters against the ~125 that read best.
  function updateCounter (input) {
    var c = $('[data-counter-for="' + input.id + '"]')
    if (!c) return
    var n = Array.from(input.value).length
    var soft = parseInt(c.getAttribute('data-soft-limit') || '125', 10)
    c.textContent = n + ' / ' + soft
    c.classList.toggle('text-amber-700', n > soft)
    c.classList.toggle('font-semibold', n > soft)
    c.classList.toggle('text-gray-600', n <= soft)
  }
  document.addEventListener('input', function (e) {
    if (e.target.id && $('[data-counter-for="' + e.target.id + '"]')) updateCounter(e.target)
  })

  // ---- Uploads: one request per file, three at a time, each with its own bar.
  function uploadZone (from) {
    return (from && from.closest('[data-upload-url]')) || $('[data-dropzone][data-upload-url]')
  }

  // kindOf is the kind a chosen file will be, from the browser's type and the
  // kinds the server renders from data.KindTable (data-upload-kinds): an
  // exact type, or a "image/*" prefix. null when none matches (the server
  // then decides).
  function kindOf (zone, file) {
    var t = file.type || ''
    var kinds = []
    try { kinds = JSON.parse(zone.getAttribute('data-upload-kinds') || '[]') } catch (e) {}
    for (var i = 0; i < kinds.length; i++) {
      var k = kinds[i]
      if (t && (k.types || []).indexOf(t) >= 0) return k
      for (var j = 0; j < (k.accept || []).length; j++) {
        var a = k.accept[j]
        if (t && /\/\*$/.test(a) && t.indexOf(a.slice(0, -1)) === 0) return k
      }
    }
    return null
  }

  // fileName fills a flex row with a name cut in the middle when it does not
  // fit, keeping its end and extension (views.SplitName does the same).
  function fileName (row, name) {
    var r = Array.from(name); var stem = r.length
    var dot = name.lastIndexOf('.')
    if (dot > 0) { var ext = Array.from(name.slice(dot)); if (ext.length <= 8 && !/[ /]/.test(name.slice(dot))) stem = r.length - ext.length }
    var k = 0
    if (stem > 12) {
      k = 6
      for (var i = stem - 3; i >= stem - 10 && i > 0; i--) if ('-_ .'.indexOf(r[i]) >= 0) { k = stem - i; break }
    }
    row.appendChild(el('span', { class: 'sr-only', text: name }))
    row.appendChild(el('span', { class: 'flex min-w-0', 'aria-hidden': 'true' }, [
      el('span', { class: 'min-w-0 truncate', text: r.slice(0, stem - k).join('') }),
      el('span', { class: 'shrink-0 whitespace-pre', 'data-name-tail': '', text: r.slice(stem - k).join('') })]))
    return row
  }

  function makeTile (file) {
    var bar = el('div', { class: 'upload-bar h-1.5 rounded-full bg-accent-600', style: 'width: 0%' })
    var track = el('div', { class: 'mt-2 h-1.5 w-full overflow-hidden rounded-full bg-gray-200', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-label': 'Uploading ' + file.name }, [bar])
    var status = el('p', { class: 'mt-1 text-xs text-gray-600', 'data-status': '', text: 'Waiting…' })
    var actions = el('div', { class: 'mt-2 flex gap-2', hidden: '' })
    var box = el('div', { class: 'tile-box flex flex-col items-center justify-center p-3 text-center' }, [
      fileName(el('p', { class: 'flex w-full min-w-0 overflow-hidden text-sm font-medium text-gray-900', title: file.name }), file.name), track, status, actions])
    var tile = el('li', { class: 'upload-tile min-w-0', 'data-upload-tile': '', 'data-filename': file.name }, [box])
    tile._parts = { bar: bar, track: track, status: status, actions: actions, box: box }
    return tile
  }

  function setProgress (tile, frac) {
    var pct = Math.round(frac * 100)
    tile._parts.bar.style.width = pct + '%'
    tile._parts.track.setAttribute('aria-valuenow', String(pct))
    tile._parts.status.textContent = pct < 100 ? 'Uploading… ' + pct + '%' : 'Processing…'
    tile.dispatchEvent(new CustomEvent('gallerist:upload-progress', { bubbles: true, detail: { file: tile.getAttribute('data-filename'), percent: pct } }))
  }

  function failTile (tile, message, retry) {
    var p = tile._parts
    tile.setAttribute('data-upload-state', 'error')
    p.box.classList.add('ring-2', 'ring-red-400', 'bg-red-50')
    // The message may be long: let the tile grow instead of cutting it off.
    p.box.style.aspectRatio = 'auto'
    p.box.style.minHeight = '100%'
    p.box.style.overflow = 'visible'
    p.track.hidden = true
    p.status.className = 'mt-1 text-xs text-red-800'
    p.status.style.overflowWrap = 'anywhere' // long URLs in messages
    p.status.setAttribute('role', 'alert')
    p.status.textContent = message
    p.actions.innerHTML = ''
    p.actions.hidden = false
    if (retry) {
      var r = el('button', { type: 'button', class: 'btn-secondary btn-sm', text: 'Retry' })
      r.addEventListener('click', retry)
      p.actions.appendChild(r)
    }
    var d = el('button', { type: 'button', class: 'btn-ghost btn-sm', text: 'Dismiss' })
    d.addEventListener('click', function () { tile.remove() })
    p.actions.appendChild(d)
  }

  function duplicateTile (tile, item) {
    var p = tile._parts
    tile.setAttribute('data-upload-state', 'duplicate')
    p.box.classList.add('ring-2', 'ring-amber-300', 'bg-amber-50')
    p.track.hidden = true
    p.status.className = 'mt-1 text-xs text-amber-900'
    p.status.textContent = 'Already in your library'
    p.actions.innerHTML = ''
    p.actions.hidden = false
    p.actions.appendChild(el('a', { href: item.duplicate_url, class: 'btn-secondary btn-sm', text: 'View it' }))
    var d = el('button', { type: 'button', class: 'btn-ghost btn-sm', text: 'Dismiss' })
    d.addEventListener('click', function () { tile.remove() })
    p.actions.appendChild(d)
    if (window.htmx) window.htmx.process(p.actions)
  }

  // uploadFailure is what a failed upload's tile says: the server's message, or the status in words.
  function uploadFailure (xhr, body, name) {
    return (body && body.error && body.error.message) ||
      (xhr.status === 413 ? name + ' is too large.' : 'The upload of ' + name + ' failed (' + xhr.status + '). Try again.')
  }
  // Trying again helps only when the server or the network failed, not
  // when the file itself was refused (unsupported, too large, invalid).
  function retryable (xhr) { return xhr.status >= 500 || xhr.status === 408 || xhr.status === 429 }

  function uploadOne (zone, file, tile, done) {
    var kind = kindOf(zone, file)
    var limit = kind ? kind.max : 0
    if (limit > 0 && file.size > limit) {
      failTile(tile, file.name + ' is ' + humanBytes(file.size) + ', larger than the ' + humanBytes(limit) + ' limit for ' + kind.plural + '.', null)
      done(false); return
    }
    tile.removeAttribute('data-upload-state')
    tile._parts.track.hidden = false
    var xhr = new XMLHttpRequest()
    var url = zone.getAttribute('data-upload-url')
    var gallery = zone.closest('[data-gallery]') || $('[data-gallery]')
    if (gallery && zone.hasAttribute('data-gallery-upload') && tile.parentNode === gallery) {
      // The place the tile shows, among the saved images: the server inserts
      // there (clamped); the batch's final order is fixed up once all settle.
      var pos = 1
      for (var n = tile.previousElementSibling; n; n = n.previousElementSibling) if (n.hasAttribute('data-image-id')) pos++
      url += (url.indexOf('?') < 0 ? '?' : '&') + 'position=' + pos
    }
    xhr.open('POST', url)
    xhr.setRequestHeader('X-CSRF-Token', csrfToken())
    xhr.setRequestHeader('Accept', 'application/json')
    if (gallery && zone.hasAttribute('data-gallery-upload')) xhr.setRequestHeader('X-Gallery-Version', gallery.getAttribute('data-version') || '')
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) setProgress(tile, e.loaded / e.total) }
    var retry = function () { uploadOne(zone, file, tile, function () {}) }
    xhr.onload = function () {
      var body = null
      try { body = JSON.parse(xhr.responseText) } catch (e) {}
      if (xhr.status >= 200 && xhr.status < 300 && body && body.items) {
        setProgress(tile, 1)
        var item = body.items[0] || {}
        // Responses of parallel uploads arrive in any order: keep the newest version.
        if (body.version && gallery && body.version > (parseInt(gallery.getAttribute('data-version'), 10) || 0)) gallery.setAttribute('data-version', String(body.version))
        if (item.duplicate_of && !item.html) { duplicateTile(tile, item); done(true); return }
        var tpl = document.createElement('template')
        tpl.innerHTML = (item.html || '').trim()
        var fresh = tpl.content.firstElementChild
        if (fresh) {
          tile.replaceWith(fresh)
          if (window.htmx) window.htmx.process(fresh)
          fresh.dispatchEvent(new CustomEvent('gallerist:uploaded', { bubbles: true, detail: item }))
          var count = $('#result-count')
          if (count && count.hasAttribute('data-total')) count.setAttribute('data-total', String(parseInt(count.getAttribute('data-total'), 10) + 1))
        } else tile.remove()
        done(true)
        return
      }
      failTile(tile, uploadFailure(xhr, body, file.name), retryable(xhr) ? retry : null)
      done(false)
    }
    xhr.onerror = function () {
      failTile(tile, 'The upload of ' + file.name + ' was interrupted. Check your connection and retry.', retry)
      done(false)
    }
    if (file.url) {
      // "Add from URL": the server fetches it; there is no upload to measure.
      tile._parts.status.textContent = 'Fetching…'
      tile._parts.bar.style.width = '30%'
      xhr.setRequestHeader('Content-Type', 'application/json')
      xhr.send(JSON.stringify({ urls: [file.url] }))
      return
    }
    var fd = new FormData()
    fd.append('file', file, file.name)
    xhr.send(fd)
  }

  // The result count says what is on its way, not "No items" while files upload.
  var uploadsPending = 0
  function showCount () {
    var count = $('#result-count')
    if (!count || !count.hasAttribute('data-total')) return
    var total = parseInt(count.getAttribute('data-total'), 10) || 0
    var text = total === 0 ? 'No items' : total === 1 ? '1 item' : total + ' items'
    if (uploadsPending > 0) text = (total ? text + ' · ' : '') + 'uploading ' + uploadsPending + (uploadsPending === 1 ? ' file' : ' files')
    count.textContent = text
  }

  // uploadFiles uploads files into zone's target; in a gallery, `at` (a tile
  // of it) is where they go (before it), else before [data-upload-before].
  function uploadFiles (files, zone, at) {
    files = Array.prototype.slice.call(files || [])
    if (!files.length || !zone) return
    var target = $(zone.getAttribute('data-upload-target') || '#media-grid')
    if (!target) return
    var empty = $('#library-empty')
    if (empty) empty.hidden = true
    var first = target.firstChild
    var tiles = files.map(function (f) {
      var t = makeTile(f)
      var before = at && at.parentNode === target ? at : $('[data-upload-before]', target)
      if (zone.hasAttribute('data-gallery-upload')) target.insertBefore(t, before || null)
      else target.insertBefore(t, first) // at the top, in the order picked
      return t
    })
    // The merchant sees the new tiles start, wherever the page was scrolled.
    var r = tiles[0].getBoundingClientRect()
    if (r.top < 0 || r.bottom > window.innerHeight) tiles[0].scrollIntoView({ block: 'nearest', behavior: reducedMotion ? 'auto' : 'smooth' })
    uploadsPending += files.length
    showCount()
    announce('Uploading ' + (files.length === 1 ? files[0].name : files.length + ' files'))
    var inGallery = zone.hasAttribute('data-gallery-upload')
    if (inGallery) galleryUploads.pending += files.length
    var next = 0; var running = 0; var failed = 0; var finished = 0
    var pump = function () {
      while (running < 3 && next < files.length) {
        var i = next++
        running++
        uploadOne(zone, files[i], tiles[i], function (ok) {
          running--; finished++
          uploadsPending--
          showCount()
          if (!ok) failed++
          if (inGallery) settleGalleryOrder(ok)
          if (finished === files.length) {
            if (failed && files.length > 1) showToast({ message: failed + ' of ' + files.length + ' uploads failed. The tiles say why.', kind: 'error' })
            else if (!failed) announce(files.length === 1 ? 'Upload finished' : files.length + ' uploads finished')
            document.dispatchEvent(new CustomEvent('gallerist:uploads-done', { detail: { total: files.length, failed: failed } }))
          }
          pump()
        })
      }
    }
    pump()
  }
  window.galleristUpload = uploadFiles

  // Parallel uploads attach in completion order, not in the order they were
  // picked (and shown). Once every gallery upload has settled (all batches:
  // the order posted must name every saved image), save the order on screen,
  // where each finished tile took its upload tile's place.
  var galleryUploads = { pending: 0, succeeded: 0 }
  function settleGalleryOrder (ok) {
    galleryUploads.pending--
    if (ok) galleryUploads.succeeded++
    if (galleryUploads.pending > 0) return
    var succeeded = galleryUploads.succeeded
    galleryUploads.succeeded = 0
    var list = $('[data-gallery][data-reorder-url]')
    if (succeeded < 2 || !list || !G.saveGalleryOrder) return
    G.saveGalleryOrder(list, null)
  }

  // "Add from URL": one tile and one request per URL, like dropped files.
  document.addEventListener('submit', function (e) {
    var form = e.target
    if (!form.matches || !form.matches('[data-import-form]')) return
    var urls = (form.elements.urls.value || '').split(/\s+/).filter(Boolean)
    if (!urls.length) return
    e.preventDefault()
    uploadFiles(urls.map(function (u) { return { name: u, url: u } }), form)
    form.elements.urls.value = ''
    var details = form.closest('details')
    if (details) details.open = false
  }, true)

  // "Import from a zip": the zip goes up as one request with the uploads'
  // tile and bar; the server answers the job's page (the dry run's plan).
  document.addEventListener('submit', function (e) {
    var form = e.target
    if (!form.matches || !form.matches('[data-zip-upload]')) return
    var file = form.elements.file && form.elements.file.files[0]
    if (!file || !window.FormData) return
    e.preventDefault()
    var list = $('[data-zip-progress]', form)
    list.innerHTML = ''
    var tile = makeTile(file)
    tile._parts.box.style.aspectRatio = 'auto'
    list.appendChild(tile)
    var button = $('button[type=submit]', form)
    var send = function () {
      if (button) button.disabled = true
      tile.removeAttribute('data-upload-state')
      tile._parts.track.hidden = false
      var xhr = new XMLHttpRequest()
      xhr.open('POST', form.getAttribute('action'))
      xhr.setRequestHeader('X-CSRF-Token', csrfToken())
      xhr.setRequestHeader('Accept', 'application/json')
      xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) setProgress(tile, ev.loaded / ev.total) }
      xhr.onload = function () {
        var body = null
        try { body = JSON.parse(xhr.responseText) } catch (err) {}
        if (xhr.status >= 200 && xhr.status < 300 && body && body.redirect) {
          setProgress(tile, 1)
          tile._parts.status.textContent = 'Checking the files…'
          window.location.assign(body.redirect)
          return
        }
        if (button) button.disabled = false
        failTile(tile, uploadFailure(xhr, body, file.name), retryable(xhr) ? send : null)
      }
      xhr.onerror = function () {
        if (button) button.disabled = false
        failTile(tile, 'The upload of ' + file.name + ' was interrupted. Check your connection and retry.', send)
      }
      var fd = new FormData()
      fd.append('file', file, file.name)
      xhr.send(fd)
    }
    send()
  }, true)

  document.addEventListener('change', function (e) {
    var input = e.target
    if (!input.matches || !input.matches('[data-upload-input]')) return
    var form = input.closest('[data-upload-form]')
    uploadFiles(input.files, form)
    input.value = ''
  })

  // The whole page is a drop target where uploading is allowed.
  // Only files dragged in from outside the page count: a drag that started
  // here (a tile, a thumbnail, a link) fires dragstart on this document, and
  // Chromium gives a dragged <img> a "Files" type, which is not an upload.
  var dragDepth = 0; var overlay = null; var innerDrag = false
  document.addEventListener('dragstart', function () { innerDrag = true }, true)
  document.addEventListener('dragend', function () { innerDrag = false; hideOverlay() }, true)
  // A drag from here whose dragend never arrived (its element was removed)
  // must not block the next real drop: every drag from here starts with a press.
  document.addEventListener('pointerdown', function () { innerDrag = false }, true)
  function hasFiles (e) {
    return !innerDrag && e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], 'Files') >= 0
  }
  function showOverlay (zone) {
    if (!overlay) {
      overlay = el('div', { class: 'drop-overlay pointer-events-none fixed inset-0 z-[80] flex items-center justify-center border-4 border-dashed border-accent-500', 'aria-hidden': 'true' },
        [el('p', { class: 'rounded-lg bg-white px-6 py-4 text-lg font-semibold text-accent-800 shadow-lg' })])
      document.body.appendChild(overlay)
    }
    overlay.firstChild.textContent = zone.getAttribute('data-drop-label') || 'Drop to upload'
    overlay.hidden = false
  }
  function hideOverlay () { dragDepth = 0; if (overlay) overlay.hidden = true }
  document.addEventListener('dragenter', function (e) {
    var zone = uploadZone(null)
    if (!zone || !hasFiles(e)) return
    e.preventDefault(); dragDepth++; showOverlay(zone)
  })
  document.addEventListener('dragover', function (e) {
    if (uploadZone(null) && hasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy' }
  })
  document.addEventListener('dragleave', function (e) {
    if (!hasFiles(e)) return
    dragDepth = Math.max(0, dragDepth - 1)
    if (dragDepth === 0) hideOverlay()
  })
  document.addEventListener('drop', function (e) {
    var zone = uploadZone(null)
    var files = hasFiles(e)
    innerDrag = false
    if (!zone || !files) return
    e.preventDefault(); hideOverlay()
    uploadFiles(e.dataTransfer.files, zone, zone.hasAttribute('data-gallery-upload') && G.galleryDropBefore ? G.galleryDropBefore(e) : null)
  })

  // ---- Variant image selects save as soon as they change.
  document.addEventListener('change', function (e) {
    var t = e.target
    if (t.matches && t.matches('select[data-autosubmit]') && t.form) t.form.requestSubmit()
  })

  // ---- Thumbnails being made. Tiles, gallery images and the detail panel
  // marked data-processing ask /media/status until their renditions are
  // ready (after 1 s, backing off to 15 s while nothing changes; paused while
  // the tab is hidden), then update in place: no reload.
  var statusTimer = null; var statusDelay = 1000; var statusBusy = false
  function waitingIDs () {
    var ids = {}
    $$('[data-processing]').forEach(function (b) { var id = b.getAttribute('data-processing'); if (/^[0-9]+$/.test(id)) ids[id] = true })
    return Object.keys(ids)
  }
  function scheduleStatus (reset) {
    if (reset) statusDelay = 1000
    if (statusTimer || statusBusy || !waitingIDs().length) return
    statusTimer = setTimeout(pollStatus, statusDelay)
  }
  function whenVisible () { document.removeEventListener('visibilitychange', whenVisible); scheduleStatus(true) }
  function pollStatus () {
    statusTimer = null
    if (document.hidden) { document.addEventListener('visibilitychange', whenVisible); return }
    var ids = waitingIDs().slice(0, 100)
    if (!ids.length) return
    statusBusy = true
    fetch('/media/status?ids=' + ids.join(','), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('status ' + r.status); return r.json() })
      .then(function (j) {
        statusBusy = false
        var seen = {}; var done = 0
        ;(j.items || []).forEach(function (st) {
          seen[st.id] = true
          if (st.processing !== 'pending') { applyStatus(st); done++ }
        })
        // An id not answered is gone (deleted, purged): stop asking for it.
        ids.forEach(function (id) { if (!seen[id]) $$('[data-processing="' + id + '"]').forEach(function (b) { b.removeAttribute('data-processing') }) })
        if (done) announce(done === 1 ? 'Thumbnails ready for 1 item' : 'Thumbnails ready for ' + done + ' items')
        statusDelay = done ? 1000 : Math.min(15000, statusDelay * 1.6)
        scheduleStatus(false)
      }, function () { statusBusy = false; statusDelay = Math.min(15000, statusDelay * 2); scheduleStatus(false) })
  }
  function applyStatus (st) {
    $$('[data-processing="' + st.id + '"]').forEach(function (badge) {
      badge.removeAttribute('data-processing')
      if (badge.hasAttribute('data-processing-text')) { // the detail panel's line
        badge.textContent = st.processing === 'ready' ? st.summary : (st.processing_error || 'The thumbnails could not be made.')
        if (st.processing !== 'ready') badge.className = 'text-red-800'
        return
      }
      if (st.processing !== 'ready') {
        badge.className = 'absolute bottom-1 left-1 rounded bg-red-50 px-1.5 py-0.5 text-[11px] font-medium text-red-800 ring-1 ring-red-200'
        badge.setAttribute('data-processing-failed', '')
        badge.title = st.processing_error || ''
        badge.textContent = 'No thumbnails (see details)'
        return
      }
      var img = badge.parentNode && $(':scope > img', badge.parentNode)
      var rs = st.renditions || []
      if (img && rs.length) {
        var want = 2 * Math.max(1, img.clientWidth || 240)
        var src = rs[rs.length - 1].url
        for (var i = 0; i < rs.length; i++) if (rs[i].width >= want) { src = rs[i].url; break }
        img.setAttribute('sizes', badge.getAttribute('data-sizes') || Math.round(want / 2) + 'px')
        img.setAttribute('srcset', rs.map(function (r) { return r.url + ' ' + r.width + 'w' }).join(', '))
        img.setAttribute('src', src)
        img.hidden = false // a video's or PDF's poster, made meanwhile
      }
      badge.remove()
    })
  }
  document.addEventListener('gallerist:uploaded', function () { scheduleStatus(true) })

  // ---- Offline. The banner says the server cannot be reached (and keeps
  // clear of the detail panel's header). A form that saves as you go (alt
  // text, names) and could not send says "Not saved", is sent again when
  // the connection returns (the browser's online event, or every few seconds
  // while the server stays away), and leaving the page first asks.
  G.offline = function (on) {
    var o = $('#offline')
    if (!o) return
    o.hidden = !on
    var panel = $('#media-panel')
    if (panel) panel.style.top = on ? o.offsetHeight + 'px' : ''
  }
  var retryTimer = null; var retryDelay = 3000
  function markUnsaved (form) {
    form.setAttribute('data-unsaved', '')
    $$('[data-saved]', form).forEach(function (s) { s.remove() })
    var st = $('[role=status]', form)
    if (!st) { // a form whose status shows only once saved (gallery tiles)
      st = el('span', { class: 'text-xs font-medium', role: 'status' })
      form.appendChild(st)
    }
    st.classList.remove('text-green-700'); st.classList.add('text-amber-800')
    st.textContent = 'Not saved: sent again when the connection returns'
    if (!retryTimer) retryTimer = setTimeout(retryUnsaved, retryDelay)
    retryDelay = Math.min(30000, retryDelay * 2)
  }
  function retryUnsaved () {
    retryTimer = null
    unsavedForms().forEach(function (f) { f.removeAttribute('data-unsaved'); f.requestSubmit() })
  }
  window.addEventListener('online', function () { retryDelay = 3000; if (retryTimer) clearTimeout(retryTimer); retryUnsaved() })
  document.addEventListener('htmx:afterSwap', function () { if (!unsavedForms().length) retryDelay = 3000 })
  // Typing makes an earlier "Saved" stale, and the form dirty until sent.
  document.addEventListener('input', function (e) {
    var form = e.target.form
    if (!form || !form.hasAttribute('hx-post')) return
    form.setAttribute('data-dirty', '')
    $$('[data-saved]', form).forEach(function (s) { s.remove() })
  })
  // Sent and saved: clean again (the answer usually replaces the form
  // anyway); a panel waiting to close closes once all its saves are in.
  document.addEventListener('htmx:afterRequest', function (e) {
    var f = e.detail && e.detail.elt
    if (f && f.tagName === 'FORM' && e.detail.successful) f.removeAttribute('data-dirty')
    var panel = $('#panel')
    // (A form replaced by its answer is gone from the page: htmx tells its
    // nearest remaining parent, so elt need not be the form.)
    if (!panel || !panel.hasAttribute('data-close-after-save') || !f || !panel.contains(f)) return
    if (!e.detail.successful) { panel.removeAttribute('data-close-after-save'); return }
    if ($('form[data-dirty]', panel)) return // (a form stays dirty until its own save is in)
    var href = panel.getAttribute('data-close-after-save')
    panel.removeAttribute('data-close-after-save')
    closePanel(href)
  })
  window.addEventListener('beforeunload', function (e) {
    if (unsavedForms().length) { e.preventDefault(); e.returnValue = leaveMessage }
  })

  // ---- The detail panel is modal: Tab and Shift+Tab stay inside it.
  function focusables (root) {
    return $$('a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), textarea:not([disabled]), select:not([disabled]), video[controls], audio[controls], [tabindex]:not([tabindex="-1"])', root)
      .filter(function (x) { return x.offsetParent !== null || x === document.activeElement })
  }
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Tab' || $('dialog[open]')) return
    var panel = $('#media-panel')
    if (!panel) return
    var f = focusables(panel)
    if (!f.length) return
    var first = f[0]; var last = f[f.length - 1]; var at = document.activeElement
    if (!panel.contains(at)) { e.preventDefault(); (e.shiftKey ? last : first).focus() } else if (e.shiftKey && (at === first || at === panel || at.id === 'panel-title')) { e.preventDefault(); last.focus() } else if (!e.shiftKey && at === last) { e.preventDefault(); first.focus() }
  })

  // ---- Loading states. A part of the page being replaced (library
  // results, picker results) is dimmed and aria-busy until its answer is in;
  // a page change (boosted link, Back) shows a bar along the top after a
  // moment; pictures not loaded yet shimmer in their tiles.
  var navBar = null; var navTimer = null
  function navStart () {
    if (navTimer) return
    navTimer = setTimeout(function () {
      if (!navBar) { navBar = el('div', { class: 'nav-progress', role: 'progressbar', 'aria-label': 'Loading the page' }); document.body.appendChild(navBar) }
      navBar.hidden = false
      void navBar.offsetWidth
      navBar.classList.add('is-running')
    }, 150)
  }
  function navStop () {
    clearTimeout(navTimer); navTimer = null
    if (navBar) { navBar.classList.remove('is-running'); navBar.hidden = true }
  }
  function busyPart (e) {
    var t = e.detail && e.detail.target
    return t && t.matches && t.matches('#library-results, [data-picker-results]') ? t : null
  }
  document.addEventListener('htmx:beforeRequest', function (e) {
    var part = busyPart(e)
    if (part) { part.setAttribute('aria-busy', 'true'); part.classList.add('is-loading'); return }
    if (e.detail && (e.detail.boosted || e.detail.target === document.body)) navStart()
  })
  function settle (e) {
    var part = busyPart(e)
    if (part) { part.removeAttribute('aria-busy'); part.classList.remove('is-loading'); return }
    // Only the page change's own answer ends the bar: a search finishing
    // meanwhile must not cancel it.
    if (e.detail && (e.detail.boosted || e.detail.target === document.body)) navStop()
  }
  document.addEventListener('htmx:afterRequest', settle)
  document.addEventListener('htmx:historyRestore', navStop)
  function waitForPictures (root) {
    $$('.tile-box img', root).forEach(function (img) {
      if (img.complete) return
      var box = img.closest('.tile-box')
      box.classList.add('is-waiting')
      var done = function () { box.classList.remove('is-waiting') }
      img.addEventListener('load', done, { once: true })
      img.addEventListener('error', done, { once: true })
    })
  }
  // Rows that scroll sideways (the kind tabs at 375 px) say so at their edges,
  // and keep the current tab in view.
  function scrollHint (row) {
    var more = row.scrollWidth - row.clientWidth > 1
    var left = more && row.scrollLeft > 1
    var right = more && row.scrollLeft + row.clientWidth < row.scrollWidth - 1
    row.setAttribute('data-more', left && right ? 'both' : left ? 'left' : right ? 'right' : 'none')
  }
  function initScrollHints (root) {
    $$('[data-scroll-hint]', root).forEach(function (row) {
      var cur = $('[aria-current]', row)
      if (cur && row.scrollWidth > row.clientWidth) row.scrollLeft = Math.max(0, cur.offsetLeft - row.clientWidth / 2 + cur.offsetWidth / 2)
      scrollHint(row)
      if (!row._hinted) { row._hinted = true; row.addEventListener('scroll', function () { scrollHint(row) }, { passive: true }) }
    })
  }
  window.addEventListener('resize', function () { $$('[data-scroll-hint]').forEach(scrollHint) })

  // ---- htmx glue.
  document.addEventListener('gallerist:toast', function (e) { showToast(e.detail || {}) })
  document.addEventListener('htmx:sendError', function (e) {
    G.offline(true)
    var form = e.detail && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest('form[hx-post]')
    if (form) markUnsaved(form)
  })
  document.addEventListener('htmx:afterRequest', function (e) {
    if (e.detail && e.detail.xhr && e.detail.xhr.status) G.offline(false)
  })
  // After a page change by htmx, focus that fell to <body> goes to the
  // page's heading (unless a toast's Undo took it), so keyboard and screen
  // reader users go on from the top of the new content, not the document.
  // In the open detail panel (modal) it stays in the panel: on the focal
  // point's picture when the form was swapped (Clear disappears with it),
  // else on the panel's title.
  var panelFocus = null // set by a version's Pin, Unpin or Restore (below)
  document.addEventListener('htmx:afterSettle', function (e) {
    var a = document.activeElement
    var f = panelFocus
    panelFocus = null
    if (f && document.contains(f)) { f.focus({ preventScroll: true }); return }
    if (a && a !== document.body) return
    var target = e.detail && e.detail.target
    // A webhook's Send test swaps only its endpoint: focus stays on the button.
    var sent = e.detail && e.detail.requestConfig && e.detail.requestConfig.elt
    if (sent && sent.hasAttribute && sent.hasAttribute('data-send-test-form') && target && target.id) {
      var again = $('#' + target.id + ' [data-send-test]') // the swapped-in endpoint's button
      if (again) { again.focus({ preventScroll: true }); return }
    }
    var inPanel = $('#media-panel') && ((target && target.id === 'focal-form' && $('#focal-area')) || $('#panel-title'))
    if (inPanel) { inPanel.focus({ preventScroll: true }); return }
    var h = $('main h1')
    if (!h) return
    if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1')
    h.focus({ preventScroll: true })
  })
  document.addEventListener('htmx:afterSwap', function (e) {
    var target = e.detail && e.detail.target
    if (!target) return
    if (target.id === 'dialog') openDialogs(target)
    if (target.id === 'panel') {
      var kept = panelPlace
      panelPlace = null
      var body = $('[data-panel] .overflow-y-auto')
      if (kept && body && kept.id === ($('[data-panel]') || {}).getAttribute('data-media-id')) {
        // A version's Pin, Unpin or Restore: the panel again where it was,
        // focus on that row's button (or, restored away, the list's first).
        body.scrollTop = kept.scroll
        var row = $('[data-version-id="' + kept.vid + '"]')
        var to = (row && $(kept.what, row)) || $('#versions [data-version-id] button') || $('#versions-title')
        if (to) { to.focus({ preventScroll: true }); panelFocus = to; return }
      }
      var h = $('#panel-title')
      if (h) h.focus()
    }
  })
  var panelPlace = null
  document.addEventListener('htmx:beforeRequest', function (e) {
    var elt = e.detail && e.detail.elt
    if (elt && elt.getAttribute && elt.getAttribute('hx-target') === '#dialog') opener = elt
    var row = elt && elt.closest && elt.closest('#versions [data-version-id]')
    var body = row && $('[data-panel] .overflow-y-auto')
    if (body) {
      panelPlace = {
        id: $('[data-panel]').getAttribute('data-media-id'),
        vid: row.getAttribute('data-version-id'),
        what: $('[data-pin]', elt) ? '[data-pin]' : 'button',
        scroll: body.scrollTop
      }
    }
  })

  function init (root) {
    syncCSRF()
    $$('[data-toast]', root).forEach(armToast)
    $$('[data-counter-for]', root).forEach(function (c) {
      var input = document.getElementById(c.getAttribute('data-counter-for'))
      if (input) updateCounter(input)
    })
    openDialogs(root)
    waitForPictures(root)
    initScrollHints(root)
    G.loaders.forEach(function (fn) { fn(root) })
    scheduleStatus(true)
    if (root === document) G.ready = true
  }
  document.addEventListener('htmx:load', function (e) { init(e.detail.elt) })
  G.$ = $; G.$$ = $$; G.el = el; G.announce = announce; G.showToast = showToast
  G.csrfToken = csrfToken; G.humanBytes = humanBytes
  // An upload's tile (progress bar, status, error with Retry), for uploads
  // that are not into a grid (the panel's Replace, library.js).
  G.uploadTile = { make: makeTile, progress: setProgress, fail: failTile }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { init(document) })
  else init(document)

  void reducedMotion
})()
