/** Tailwind v3 configuration of Gallerist's admin UI. Build: scripts/build-assets.sh */
const colors = require('tailwindcss/colors')

module.exports = {
  content: ['views/**/*.templ', 'views/**/*.go', 'static/app.js', 'static/library.js', 'static/gallery.js'],
  theme: {
    extend: {
      colors: {
        accent: colors.indigo,
      },
    },
  },
  plugins: [],
}
