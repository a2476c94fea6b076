import uuid

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Book(models.Model):
    title = models.CharField(max_length=100)
    price = models.IntegerField(default=0)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books", null=True)
    tags = models.ManyToManyField(Tag, related_name="books")


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    stars = models.IntegerField()


class Place(models.Model):
    name = models.CharField(max_length=50)


class Restaurant(Place):
    seats = models.IntegerField(default=0)


class Gadget(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    label = models.CharField(max_length=50)


class Code(models.Model):
    code = models.CharField(max_length=20, primary_key=True)
    value = models.IntegerField(default=0)


class Counter(models.Model):
    value = models.IntegerField(default=0)


class Event(models.Model):
    name = models.CharField(max_length=50)
    when = models.DateTimeField()
    data = models.JSONField(default=dict)
