// Gallerist admin UI: the library (selection and bulk actions, the picker), on
// top of app.js (window.Gallerist).
(function () {
  'use strict'
  var G = window.Gallerist
  if (!G) return
})()
