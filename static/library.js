// Gallerist admin UI: the library (selection and bulk actions, the bulk alt
// text editor), on top of app.js (window.Gallerist).
(function () {
  'use strict'
  var G = window.Gallerist
  if (!G) return
  var $ = G.$; var $$ = G.$$

  // ---- Selection. The tiles' checkboxes belong to the page's bulk form
  // (form="bulk-form") and post their ids without JavaScript. Here the
  // selection is a list of ids in the order they were ticked (the order
  // "Add to product" adds them in). The library's selection lives in
  // sessionStorage, so it survives pagination, searches, reloads and
  // Back/Forward in this tab without riding along in every URL; the trash
  // keeps its own on the page.
  var STORE = 'gallerist.selection.'
  var anchor = null // the last checkbox ticked or unticked: Shift+click selects from it

  function bulkForm () { return $('[data-bulk-form]') }

  function readSelection (form) {
    var key = form.getAttribute('data-bulk-persist')
    if (!key) return form._selection || []
    try {
      var ids = JSON.parse(window.sessionStorage.getItem(STORE + key) || '[]')
      return Array.isArray(ids) ? ids.map(String) : []
    } catch (e) { return form._selection || [] }
  }

  function writeSelection (form, ids) {
    form._selection = ids
    var key = form.getAttribute('data-bulk-persist')
    if (!key) return
    try {
      if (ids.length) window.sessionStorage.setItem(STORE + key, JSON.stringify(ids))
      else window.sessionStorage.removeItem(STORE + key)
    } catch (e) {}
  }

  function boxes () { return $$('input[data-select][form="bulk-form"]') }

  function render (form) {
    var ids = readSelection(form)
    var onPage = 0
    boxes().forEach(function (box) {
      var i = ids.indexOf(box.value)
      box.checked = i >= 0
      if (i >= 0) onPage++
      var tile = box.closest('li')
      var order = tile && $('[data-select-order]', tile)
      if (order) { order.hidden = i < 0; order.textContent = i >= 0 ? String(i + 1) : '' }
      if (tile) tile.classList.toggle('is-selected', i >= 0)
    })
    $('[data-bulk-ids]', form).value = ids.join(',')
    var count = $('[data-bulk-count]', form)
    var text = 'Select items to act on several at once.'
    if (ids.length) {
      text = ids.length + ' selected'
      if (ids.length > onPage && form.hasAttribute('data-bulk-persist')) text += ' (' + (ids.length - onPage) + ' on other pages)'
    }
    if (count.textContent !== text) count.textContent = text
    $$('[data-bulk-actions] > *', form).forEach(function (b) { b.hidden = !ids.length })
    var all = $('[data-bulk-all]', form)
    var n = boxes().length
    all.checked = n > 0 && onPage === n
    all.indeterminate = onPage > 0 && onPage < n
  }

  function setSelected (ids, id, on) {
    var i = ids.indexOf(id)
    if (on && i < 0) ids.push(id)
    if (!on && i >= 0) ids.splice(i, 1)
  }

  document.addEventListener('click', function (e) {
    var box = e.target.closest && e.target.closest('input[data-select]')
    var form = bulkForm()
    if (!box || !form) return
    // The click has toggled the box already: box.checked is the new state.
    var ids = readSelection(form).slice()
    var list = boxes()
    var from = anchor && list.indexOf(anchor)
    var to = list.indexOf(box)
    if (e.shiftKey && anchor && from >= 0 && from !== to) {
      var step = from < to ? 1 : -1
      var changed = 0
      for (var i = from; i !== to + step; i += step) {
        if ((ids.indexOf(list[i].value) >= 0) !== box.checked) changed++
        setSelected(ids, list[i].value, box.checked)
      }
      G.announce((box.checked ? 'Selected ' : 'Deselected ') + changed + (changed === 1 ? ' item' : ' items') + '. ' + ids.length + ' selected.')
    } else {
      setSelected(ids, box.value, box.checked)
    }
    anchor = box
    writeSelection(form, ids)
    render(form)
  })

  document.addEventListener('change', function (e) {
    var all = e.target.closest && e.target.closest('[data-bulk-all]')
    var form = all && bulkForm()
    if (!form) return
    var ids = readSelection(form).slice()
    boxes().forEach(function (b) { setSelected(ids, b.value, all.checked) })
    writeSelection(form, ids)
    render(form)
    G.announce(all.checked ? 'Selected every item on this page. ' + ids.length + ' selected.' : 'Deselected the items on this page. ' + ids.length + ' selected.')
  })

  document.addEventListener('click', function (e) {
    var clear = e.target.closest && e.target.closest('[data-bulk-clear]')
    var form = clear && bulkForm()
    if (!form) return
    writeSelection(form, [])
    anchor = null
    render(form)
    G.announce('Selection cleared.')
    var all = $('[data-bulk-all]', form)
    if (all) all.focus()
  })

  // A bulk delete that went through leaves nothing to act on: the selection
  // ends (a refusal, such as "now in use", keeps it).
  document.addEventListener('htmx:beforeSwap', function (e) {
    var d = e.detail || {}
    // The form that asked (detail.elt is the boosting <body>).
    var elt = (d.requestConfig && d.requestConfig.elt) || d.elt
    if (!elt || !elt.matches || !elt.matches('form[data-bulk-clears]')) return
    if (e.detail.xhr && e.detail.xhr.status < 300) {
      try { window.sessionStorage.removeItem(STORE + 'library') } catch (err) {}
    }
  })
  document.addEventListener('submit', function (e) {
    // Without htmx (it failed to load) the form posts as a plain page.
    if (!window.htmx && e.target.matches && e.target.matches('form[data-bulk-clears]')) {
      try { window.sessionStorage.removeItem(STORE + 'library') } catch (err) {}
    }
  })

  function initSelection () {
    var form = bulkForm()
    if (!form) return
    $$('[data-bulk-js]', form).forEach(function (n) { n.hidden = false })
    if (!form.hasAttribute('data-bulk-persist') && !form._selection) {
      // The browser may have kept ticks (Back): they are the selection.
      form._selection = boxes().filter(function (b) { return b.checked }).map(function (b) { return b.value })
    }
    if (anchor && !document.contains(anchor)) anchor = null
    render(form)
  }

  // ---- The bulk alt text editor: each field saves when the merchant leaves
  // it (or presses Enter, which also moves on), with "Saved" or "Not saved —
  // Retry" on its row, an announcement, and the count of images still
  // without alt text. Offline saves are retried when the connection returns.
  var CHECK = '<svg class="h-3.5 w-3.5" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true"><path fill-rule="evenodd" d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.6l7.3-7.3a1 1 0 0 1 1.4 0Z" clip-rule="evenodd"/></svg>'

  function rowOf (el) { return el.closest && el.closest('[data-alt-row]') }
  function fieldOf (row) { return $('[data-alt-field]', row) }

  function setState (row, state, message) {
    row.setAttribute('data-state', state)
    var status = $('[data-alt-status]', row)
    var field = fieldOf(row)
    var err = $('.field-error', row)
    status.innerHTML = ''
    field.classList.toggle('input-error', state === 'failed' && !!message)
    if (state === 'failed' && message) field.setAttribute('aria-invalid', 'true')
    else field.removeAttribute('aria-invalid')
    if (err && state !== 'failed') err.remove()
    if (state === 'saving') {
      status.appendChild(G.el('span', { class: 'text-gray-600', text: 'Saving…' }))
    } else if (state === 'saved') {
      var ok = G.el('span', { class: 'inline-flex items-center gap-1 text-green-700', 'data-saved': '' })
      ok.innerHTML = CHECK
      ok.appendChild(document.createTextNode('Saved'))
      status.appendChild(ok)
    } else if (state === 'failed') {
      status.appendChild(G.el('span', { class: 'text-red-700', text: 'Not saved —' }))
      status.appendChild(G.el('button', { type: 'button', class: 'rounded font-semibold text-accent-700 underline', 'data-alt-retry': '', text: 'Retry' }))
      if (message) {
        if (!err) {
          err = G.el('p', { id: field.id + '-error', class: 'field-error' })
          status.parentNode.insertBefore(err, status.nextSibling)
        }
        err.textContent = message
        field.setAttribute('aria-describedby', field.id + '-status ' + field.id + '-error')
      }
    }
  }

  function remaining () {
    var counter = $('[data-alt-remaining]')
    if (!counter) return 0
    // No data-total: more than the server counts (data.MaxCountedTotal); nothing to recount.
    if (!counter.hasAttribute('data-total')) return 1
    var n = parseInt(counter.getAttribute('data-total'), 10) || 0
    $$('[data-alt-row]').forEach(function (row) {
      var was = row.getAttribute('data-was-missing') === 'true'
      var now = (row.getAttribute('data-saved') || '').trim() === ''
      if (was && !now) n--
      if (!was && now) n++
    })
    n = Math.max(0, n)
    var text = n === 0 ? 'Every image here has alt text.' : n === 1 ? '1 image still needs alt text.' : n + ' images still need alt text.'
    var t = $('[data-alt-remaining-text]', counter)
    if (t.textContent !== text) t.textContent = text
    var dot = $('[data-alt-remaining-dot]', counter)
    if (dot) dot.hidden = n === 0
    return n
  }

  function saveRow (row) {
    var field = fieldOf(row)
    var value = field.value
    if (value.trim() === (row.getAttribute('data-saved') || '') && row.getAttribute('data-state') !== 'failed') return
    var seq = (row._seq || 0) + 1
    row._seq = seq
    setState(row, 'saving')
    var body = new URLSearchParams()
    body.set(field.name, value)
    var name = row.getAttribute('data-filename') || 'this image'
    fetch('/media/alt', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': G.csrfToken(), Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString()
    }).then(function (r) {
      return r.json().catch(function () { return {} }).then(function (b) { return { status: r.status, body: b } })
    }).then(function (res) {
      if (row._seq !== seq) return // a newer save of this row is on its way
      var item = res.body && res.body.items && res.body.items[0]
      if (res.status === 200 && item && item.saved) {
        row.setAttribute('data-saved', item.alt)
        G.offline(false)
        if (document.activeElement !== field && field.value === value) field.value = item.alt
        setState(row, 'saved')
        var n = remaining()
        G.announce('Saved alt text for ' + name + '. ' + (n === 0 ? 'Every image here has alt text.' : n === 1 ? '1 image still needs alt text.' : n + ' images still need alt text.'))
        return
      }
      var msg = (item && item.error) || (res.body && res.body.error && res.body.error.message) || 'The server did not save it (' + res.status + ').'
      setState(row, 'failed', msg)
      G.announce('Alt text for ' + name + ' was not saved: ' + msg)
    }, function () {
      if (row._seq !== seq) return
      setState(row, 'failed', '')
      G.offline(true)
      G.announce('Alt text for ' + name + ' was not saved: no connection. It is retried when the connection returns.')
    })
  }

  function unsaved () {
    return $$('[data-alt-row]').filter(function (row) {
      var st = row.getAttribute('data-state')
      return st === 'saving' || st === 'failed' || fieldOf(row).value.trim() !== (row.getAttribute('data-saved') || '')
    })
  }

  document.addEventListener('change', function (e) {
    var row = e.target.matches && e.target.matches('[data-alt-field]') && rowOf(e.target)
    if (row) saveRow(row)
  })
  document.addEventListener('keydown', function (e) {
    var t = e.target
    if (e.key !== 'Enter' || e.shiftKey || !t.matches || !t.matches('[data-alt-field]')) return
    // Alt text is one line: Enter saves and moves on to the next image.
    e.preventDefault()
    var fields = $$('[data-alt-field]')
    var next = fields[fields.indexOf(t) + 1]
    if (next) next.focus()
    else saveRow(rowOf(t))
  })
  document.addEventListener('click', function (e) {
    var retry = e.target.closest && e.target.closest('[data-alt-retry]')
    if (retry) saveRow(rowOf(retry))
  })
  document.addEventListener('submit', function (e) {
    if (!e.target.matches || !e.target.matches('form[data-alt-editor]')) return
    e.preventDefault(); e.stopPropagation() // saved row by row, not as a page
    unsaved().forEach(saveRow)
  }, true)
  window.addEventListener('online', function () {
    $$('[data-alt-row][data-state="failed"]').forEach(function (row) {
      if (!$('.field-error', row)) saveRow(row) // a refused text stays until it is changed
    })
  })
  window.addEventListener('beforeunload', function (e) {
    if ($('form[data-alt-editor]') && unsaved().length) { e.preventDefault(); e.returnValue = '' }
  })

  // ---- Replace in the detail panel: the chosen file uploads at once, with
  // the library's upload tile (progress, then the server's error with Retry
  // when retrying can help); on success the panel is swapped for the one
  // the server sends (new preview, facts and Versions, and the tile behind).
  function replaceFile (form, file) {
    var list = $('[data-replace-status]', form)
    var T = G.uploadTile
    list.innerHTML = ''
    var tile = T.make(file)
    list.appendChild(tile)
    var xhr = new XMLHttpRequest()
    xhr.open('POST', form.getAttribute('action'))
    xhr.setRequestHeader('X-CSRF-Token', G.csrfToken())
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.setRequestHeader('HX-Current-URL', window.location.href)
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) T.progress(tile, e.loaded / e.total) }
    var retry = function () { replaceFile(form, file) }
    xhr.onload = function () {
      var body = null
      try { body = JSON.parse(xhr.responseText) } catch (e) {}
      if (xhr.status >= 200 && xhr.status < 300 && body && body.panel) {
        T.progress(tile, 1)
        window.htmx.swap('#panel', body.panel, { swapStyle: 'innerHTML' })
        G.announce(body.message || 'File replaced.')
        var input = $('#replace-file')
        if (input) input.focus({ preventScroll: true })
        document.dispatchEvent(new CustomEvent('gallerist:replaced', { detail: { file: file.name } }))
        return
      }
      var msg = (body && body.error && body.error.message) ||
        (xhr.status === 413 ? file.name + ' is too large.' : 'Replacing the file with ' + file.name + ' failed (' + xhr.status + '). Try again.')
      T.fail(tile, msg, xhr.status >= 500 || xhr.status === 408 || xhr.status === 429 ? retry : null)
      G.announce('The file was not replaced: ' + msg)
    }
    xhr.onerror = function () {
      T.fail(tile, 'The upload of ' + file.name + ' was interrupted. Check your connection and retry.', retry)
    }
    var fd = new FormData()
    fd.append('file', file, file.name)
    xhr.send(fd)
  }
  document.addEventListener('change', function (e) {
    var input = e.target.matches && e.target.matches('[data-replace-input]') && e.target
    if (!input || !input.files || !input.files.length || !window.htmx) return
    replaceFile(input.closest('form'), input.files[0])
    input.value = ''
  })
  document.addEventListener('submit', function (e) {
    var form = e.target.matches && e.target.matches('form[data-replace-form]') && e.target
    if (!form || !window.htmx) return
    e.preventDefault() // the file went when it was chosen
    var input = $('[data-replace-input]', form)
    if (input && input.files && input.files.length) replaceFile(form, input.files[0])
  })

  // The first upload into an empty library brings the selection bar (it is
  // on the page, hidden, until there is something to select).
  document.addEventListener('gallerist:uploaded', function () {
    var bar = $('#bulk-form[hidden]')
    if (bar && $('#media-grid [data-select]')) { bar.hidden = false; initSelection() }
  })

  // ---- Focal point, in the detail panel: a click on the picture sets it,
  // the arrow keys move it (Shift: ten times further). Each change fills
  // the form's two numbers and submits it (htmx swaps the form back with
  // the saved state; #focal-area keeps the focus across the swap).
  // pendingFocal is the last point set here and not yet answered: a key
  // pressed while a save is on its way is sent again once that answer
  // has replaced the form, so the last press is never lost.
  var pendingFocal = null
  function pct (v) { return (Math.round(v * 1000) / 10) + '%' }
  function setFocal (form, x, y, wait) {
    x = Math.min(1, Math.max(0, Math.round(x * 1000) / 1000))
    y = Math.min(1, Math.max(0, Math.round(y * 1000) / 1000))
    pendingFocal = { action: form.getAttribute('action'), x: x, y: y }
    $('[data-focal-x]', form).value = String(x)
    $('[data-focal-y]', form).value = String(y)
    var mark = $('[data-focal-marker]', form)
    mark.hidden = false
    mark.style.left = pct(x)
    mark.style.top = pct(y)
    $('[data-focal-text]', form).textContent = pct(x) + ' across, ' + pct(y) + ' down'
    clearTimeout(form._focalTimer)
    form._focalTimer = setTimeout(function () { form.requestSubmit() }, wait)
  }
  document.addEventListener('htmx:afterSwap', function () {
    var form = $('#focal-form')
    var p = pendingFocal
    if (!form || !p) return
    var x = parseFloat($('[data-focal-x]', form).value)
    var y = parseFloat($('[data-focal-y]', form).value)
    if (form.getAttribute('action') !== p.action || $('#focal-error', form) || (x === p.x && y === p.y)) {
      pendingFocal = null // another item, refused, or saved as set
      return
    }
    setFocal(form, p.x, p.y, 0)
  })
  document.addEventListener('click', function (e) {
    if (e.target.closest && e.target.closest('[data-focal-clear]')) pendingFocal = null
    var area = e.target.closest && e.target.closest('[data-focal-area]')
    var img = area && $('img', area)
    if (!img) return
    var r = img.getBoundingClientRect()
    if (!r.width || !r.height) return
    setFocal(area.closest('[data-focal-form]'), (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height, 0)
  })
  document.addEventListener('keydown', function (e) {
    var area = e.target.closest && e.target.closest('[data-focal-area]')
    var d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key]
    if (!area || !d || e.altKey || e.ctrlKey || e.metaKey) return
    e.preventDefault()
    var form = area.closest('[data-focal-form]')
    var x = parseFloat($('[data-focal-x]', form).value)
    var y = parseFloat($('[data-focal-y]', form).value)
    var step = e.shiftKey ? 0.1 : 0.01
    // Saved once the keys rest, not on every press.
    setFocal(form, (isNaN(x) ? 0.5 : x) + d[0] * step, (isNaN(y) ? 0.5 : y) + d[1] * step, 500)
  })

  G.onLoad(function () { initSelection() })
})()
