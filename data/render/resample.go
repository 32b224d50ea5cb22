package render

import "math"

// Fixed-point precision of the filter weights.
const (
	wBits = 14
	wOne  = 1 << wBits
)

// lanczosA is the Lanczos filter's lobe count: Lanczos-3 keeps downscaled
// photos sharp with little ringing.
const lanczosA = 3

func lanczos(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x >= lanczosA {
		return 0
	}
	if x < 1e-9 {
		return 1
	}
	px := math.Pi * x
	return lanczosA * math.Sin(px) * math.Sin(px/lanczosA) / (px * px)
}

// filterTaps holds, for each output sample, the first input sample and n
// fixed-point weights (summing to wOne) of contiguous input samples.
type filterTaps struct {
	start []int
	n     int
	w     []int32
}

// makeTaps maps dn output samples covering an extent de onto sn stored
// input samples covering se: output i's centre is at (i+0.5)*se/de in input
// coordinates. Taps outside the stored samples are folded onto the edge
// samples (edge replication).
// tapsFor is the number of taps for a reduction by scale.
func tapsFor(scale float64) int {
	return int(math.Ceil(2*lanczosA*max(scale, 1))) + 1
}

func makeTaps(sn int, se float64, dn int, de float64) filterTaps {
	scale := se / de
	fs := max(scale, 1) // the filter widens when reducing
	support := lanczosA * fs
	n := tapsFor(scale)
	nn := min(n, sn)
	t := filterTaps{start: make([]int, dn), n: nn, w: make([]int32, dn*nn)}
	fw := make([]float64, nn)
	for i := 0; i < dn; i++ {
		c := (float64(i) + 0.5) * scale
		lo := int(math.Floor(c - support))
		s := min(max(lo, 0), sn-nn)
		clear(fw)
		sum := 0.0
		for j := lo; j < lo+n; j++ {
			v := lanczos((float64(j) + 0.5 - c) / fs)
			jj := min(max(j, 0), sn-1)
			fw[jj-s] += v
			sum += v
		}
		t.start[i] = s
		ws := t.w[i*nn : (i+1)*nn]
		total, peak := int32(0), 0
		for k, v := range fw {
			ws[k] = int32(math.Round(v / sum * wOne))
			total += ws[k]
			if ws[k] > ws[peak] {
				peak = k
			}
		}
		ws[peak] += wOne - total
	}
	return t
}

func clamp8(v int32) uint8 {
	v = (v + wOne/2) >> wBits
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// resample returns p resampled to dw×dh samples covering an extent of
// dew×deh. Large reductions first halve the plane with 2×2 box averages
// (exact area averaging, cheap), then a separable Lanczos-3 pass in each
// direction finishes.
func (p plane) resample(dw, dh int, dew, deh float64) plane {
	for p.ew/dew >= 4 && p.eh/deh >= 4 && p.w >= 2 && p.h >= 2 {
		p = p.halve()
	}
	needH := p.ew != dew || dw > p.w
	needV := p.eh != deh || dh > p.h
	if needH && needV {
		// Run first the pass that leaves less work for the other one.
		th, tv := float64(tapsFor(p.ew/dew)), float64(tapsFor(p.eh/deh))
		hFirst := float64(p.h*dw)*th + float64(dw*dh)*tv
		vFirst := float64(p.w*dh)*tv + float64(dw*dh)*th
		if vFirst < hFirst {
			p = p.vpass(dh, deh)
			needV = false
		}
	}
	if needH {
		p = p.hpass(dw, dew)
	}
	if needV {
		p = p.vpass(dh, deh)
	}
	if p.w != dw || p.h != dh {
		// Same scale, fewer stored samples: crop.
		q := p
		q.w, q.h = dw, dh
		p = q
	}
	if p.ch == 4 {
		fixPremultiplied(p)
	}
	return p
}

// halve averages 2×2 blocks (replicating the last row or column).
func (p plane) halve() plane {
	q := newPlane((p.w+1)/2, (p.h+1)/2, p.ch)
	q.ew, q.eh = p.ew/2, p.eh/2
	ch := p.ch
	for y := 0; y < q.h; y++ {
		r0 := p.pix[2*y*p.stride:][:p.w*ch]
		r1 := r0
		if 2*y+1 < p.h {
			r1 = p.pix[(2*y+1)*p.stride:][:p.w*ch]
		}
		dst := q.pix[y*q.stride:][:q.w*ch]
		for x := 0; x < q.w; x++ {
			i0 := 2 * x * ch
			i1 := i0 + ch
			if 2*x+1 >= p.w {
				i1 = i0
			}
			for c := 0; c < ch; c++ {
				dst[x*ch+c] = uint8((uint32(r0[i0+c]) + uint32(r0[i1+c]) + uint32(r1[i0+c]) + uint32(r1[i1+c]) + 2) >> 2)
			}
		}
	}
	return q
}

// hpass resamples the rows of p to dw samples covering dew.
func (p plane) hpass(dw int, dew float64) plane {
	t := makeTaps(p.w, p.ew, dw, dew)
	q := newPlane(dw, p.h, p.ch)
	q.ew, q.eh = dew, p.eh
	n := t.n
	y := 0
	if p.ch == 1 {
		// Two rows at a time: each weight is loaded once for both.
		for ; y+1 < p.h; y += 2 {
			src0 := p.pix[y*p.stride:][:p.w]
			src1 := p.pix[(y+1)*p.stride:][:p.w]
			dst0 := q.pix[y*q.stride:][:dw]
			dst1 := q.pix[(y+1)*q.stride:][:dw]
			for x := range dst0 {
				ws := t.w[x*n : x*n+n]
				s := t.start[x]
				sp0 := src0[s:][:len(ws)]
				sp1 := src1[s:][:len(ws)]
				var acc0, acc1 int32
				for k, w := range ws {
					acc0 += w * int32(sp0[k])
					acc1 += w * int32(sp1[k])
				}
				dst0[x] = clamp8(acc0)
				dst1[x] = clamp8(acc1)
			}
		}
	}
	for ; y < p.h; y++ {
		src := p.pix[y*p.stride:][:p.w*p.ch]
		dst := q.pix[y*q.stride:][:dw*p.ch]
		if p.ch == 1 {
			for x := range dst {
				ws := t.w[x*n : x*n+n]
				sp := src[t.start[x]:][:len(ws)]
				var acc int32
				for k, w := range ws {
					acc += w * int32(sp[k])
				}
				dst[x] = clamp8(acc)
			}
			continue
		}
		for x := 0; x < dw; x++ {
			ws := t.w[x*n : x*n+n]
			sp := src[4*t.start[x]:][:4*len(ws)]
			var r, g, b, a int32
			for k, w := range ws {
				px := sp[4*k : 4*k+4 : 4*k+4]
				r += w * int32(px[0])
				g += w * int32(px[1])
				b += w * int32(px[2])
				a += w * int32(px[3])
			}
			d := dst[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = clamp8(r), clamp8(g), clamp8(b), clamp8(a)
		}
	}
	return q
}

// vpass resamples the columns of p to dh samples covering deh, a whole
// row at a time.
func (p plane) vpass(dh int, deh float64) plane {
	t := makeTaps(p.h, p.eh, dh, deh)
	q := newPlane(p.w, dh, p.ch)
	q.ew, q.eh = p.ew, deh
	rowLen := p.w * p.ch
	acc := make([]int32, rowLen)
	n := t.n
	for y := 0; y < dh; y++ {
		ws := t.w[y*n : y*n+n]
		clear(acc)
		for k, w := range ws {
			if w == 0 {
				continue
			}
			src := p.pix[(t.start[y]+k)*p.stride:][:rowLen]
			a := acc[:len(src)]
			for x, v := range src {
				a[x] += w * int32(v)
			}
		}
		dst := q.pix[y*q.stride:][:rowLen]
		for x, v := range acc[:len(dst)] {
			dst[x] = clamp8(v)
		}
	}
	return q
}

// fixPremultiplied clamps colour to alpha after filtering (Lanczos lobes can
// push a premultiplied colour past its alpha).
func fixPremultiplied(p plane) {
	for y := 0; y < p.h; y++ {
		row := p.pix[y*p.stride:][:4*p.w]
		for i := 0; i < len(row); i += 4 {
			a := row[i+3]
			row[i+0] = min(row[i+0], a)
			row[i+1] = min(row[i+1], a)
			row[i+2] = min(row[i+2], a)
		}
	}
}
