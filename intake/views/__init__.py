"""The intake's views: the link and date of birth (`link`), the one generic step view (`steps`),
after submitting (`after`), the staff's link actions (`staff`); `session` is what they share."""
